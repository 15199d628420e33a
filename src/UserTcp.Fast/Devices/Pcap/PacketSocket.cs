using UserTcp.Fast.Native;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// Opening an AF_PACKET socket of the device's own (packet(7)): created with protocol 0, so that it receives nothing until
/// it is configured and <see cref="Bind"/> names the protocol; a socket created with a protocol and bound again afterwards
/// costs the kernel a synchronize_net() (net/packet/af_packet.c packet_do_bind, 5-11 ms measured here).
/// </summary>
internal static unsafe class PacketSocket
{
    /// <summary>socket(AF_PACKET, SOCK_RAW, 0), non-blocking, close-on-exec.</summary>
    /// <param name="purpose">What the socket is for, in the exception's message.</param>
    public static int Open(string interfaceName, string purpose)
    {
        int socket = Libc.Socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (socket >= 0) return socket;
        int errno = Libc.LastErrno;
        bool denied = errno is Libc.EPERM or Libc.EACCES;
        throw new DeviceUnavailableException(denied ? DeviceUnavailableReason.PermissionDenied : DeviceUnavailableReason.OpenFailed,
            $"{interfaceName}: {purpose}: {Libc.Describe(errno)}{(denied ? " (needs root or CAP_NET_RAW)" : "")}");
    }

    /// <summary>Binds <paramref name="socket"/> to <paramref name="interfaceName"/>'s index; <paramref name="protocol"/> (host
    /// order) 0 receives nothing, <see cref="Libc.EthernetProtocolAll"/> every frame the filter keeps.</summary>
    public static void Bind(int socket, string interfaceName, ushort protocol)
    {
        uint index = Libc.IfNameToIndex(interfaceName);
        if (index == 0) throw new DeviceUnavailableException(DeviceUnavailableReason.NoSuchInterface, $"{interfaceName}: no such interface");
        // struct sockaddr_ll: family, protocol (network order), interface index; the rest unused for bind.
        byte* address = stackalloc byte[20];
        new Span<byte>(address, 20).Clear();
        *(ushort*)address = Libc.AF_PACKET;
        *(ushort*)(address + 2) = (ushort)((protocol >> 8) | (protocol << 8));
        *(int*)(address + 4) = (int)index;
        if (Libc.Bind(socket, address, 20) != 0)
            throw new DeviceUnavailableException(Libc.LastErrno == Libc.ENODEV ? DeviceUnavailableReason.NoSuchInterface : DeviceUnavailableReason.OpenFailed,
                $"{interfaceName}: binding the packet socket: {Libc.Describe(Libc.LastErrno)}");
    }

    /// <summary>setsockopt(2) of an int, or a <see cref="DeviceUnavailableException"/> naming <paramref name="what"/>.</summary>
    public static void SetOption(int socket, int level, int option, int value, string interfaceName, string what)
    {
        if (Libc.SetSocketOption(socket, level, option, &value, sizeof(int)) != 0)
            throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{interfaceName}: {what} refused: {Libc.Describe(Libc.LastErrno)}");
    }
}
