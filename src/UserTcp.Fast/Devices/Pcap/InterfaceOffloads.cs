using UserTcp.Fast.Native;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// Whether libpcap will size its ring slots for 64 KiB frames on an interface: the question pcap-linux.c's iface_get_offload
/// asks with SIOCETHTOOL (TCP segmentation, generic segmentation, large and generic receive offload; any one on is yes; a
/// driver that does not answer counts as off, as there).
/// </summary>
internal static unsafe class InterfaceOffloads
{
    private const nuint SiocEthtool = 0x8946;
    private const uint EthtoolGetTso = 0x1e;
    private const uint EthtoolGetGso = 0x23;
    private const uint EthtoolGetFlags = 0x25;
    private const uint EthtoolGetGro = 0x2b;
    private const uint EthFlagLro = 1 << 15;

    /// <summary>struct ethtool_value.</summary>
    private struct EthtoolValue
    {
        public uint Command;
        public uint Data;
    }

    /// <exception cref="DeviceUnavailableException">No socket, or the interface is gone.</exception>
    public static bool AnyOn(string interfaceName)
    {
        int socket = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (socket < 0)
            throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{interfaceName}: socket for SIOCETHTOOL: {Libc.Describe(Libc.LastErrno)}");
        try
        {
            return Get(socket, interfaceName, EthtoolGetTso) != 0
                || Get(socket, interfaceName, EthtoolGetGso) != 0
                || (Get(socket, interfaceName, EthtoolGetFlags) & EthFlagLro) != 0
                || Get(socket, interfaceName, EthtoolGetGro) != 0;
        }
        finally
        {
            Libc.Close(socket);
        }
    }

    private static uint Get(int socket, string interfaceName, uint command)
    {
        var value = new EthtoolValue { Command = command };
        var request = Libc.InterfaceRequest.For(interfaceName);
        request.Data = &value;
        if (Libc.Ioctl(socket, SiocEthtool, &request) == 0) return value.Data;
        int errno = Libc.LastErrno;
        if (errno is Libc.EOPNOTSUPP or Libc.EINVAL or Libc.EPERM) return 0;
        throw new DeviceUnavailableException(errno == Libc.ENODEV ? DeviceUnavailableReason.NoSuchInterface : DeviceUnavailableReason.OpenFailed,
            $"{interfaceName}: SIOCETHTOOL {command:x}: {Libc.Describe(errno)}");
    }
}
