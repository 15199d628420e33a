using System.Buffers.Binary;
using System.Text;
using UserTcp.Fast.Native;

namespace UserTcp.Fast.Devices;

/// <summary>
/// Facts about a network interface, asked of the kernel with rtnetlink (RTM_GETLINK by name) on a socket opened by the
/// calling thread, so they are those of the thread's network namespace. Sysfs would not do: /sys shows the namespace
/// of whoever mounted it, which for a command that entered a lab's namespace with setns(2) is still the root's.
/// </summary>
internal static unsafe class LinuxInterface
{
    private const int HeaderLength = 16; // struct nlmsghdr
    private const int InfoLength = 16; // struct ifinfomsg
    private const ushort RtmNewLink = 16;
    private const ushort RtmGetLink = 18;
    private const ushort NlmsgError = 2;
    private const ushort NlmFRequest = 0x1;
    private const ushort IflaAddress = 1;
    private const ushort IflaIfName = 3;
    private const ushort IflaMtu = 4;
    private const ushort IflaExtMask = 29;
    /// <summary>Set only for a device with a parent (a NIC on its bus): what sysfs shows as not under /sys/devices/virtual (Linux 5.18+).</summary>
    private const ushort IflaParentDevName = 56;
    private const uint RtextFilterSkipStats = 1 << 3;
    /// <summary>A link's whole description without statistics is a few hundred bytes to a few KiB.</summary>
    private const int ReplyCapacity = 16 * 1024;

    /// <summary>What the kernel says about interface <paramref name="name"/> in the calling thread's network namespace.</summary>
    /// <exception cref="DeviceUnavailableException">No such interface there, or netlink failed.</exception>
    public static InterfaceFacts Read(string name)
    {
        _ = Libc.InterfaceRequest.For(name); // the name rules every interface call checks
        int socket = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (socket < 0) throw Failure(name, "socket(AF_NETLINK)", Libc.LastErrno);
        try
        {
            Span<byte> request = stackalloc byte[64];
            int length = WriteRequest(request, name);
            fixed (byte* requestBytes = request)
            {
                if (Libc.Send(socket, requestBytes, (nuint)length, 0) != length) throw Failure(name, "send(RTM_GETLINK)", Libc.LastErrno);
            }
            byte* reply = stackalloc byte[ReplyCapacity];
            nint received;
            while ((received = Libc.Read(socket, reply, ReplyCapacity)) < 0 && Libc.LastErrno == Libc.EINTR)
            {
            }
            if (received < 0) throw Failure(name, "recv(RTM_GETLINK)", Libc.LastErrno);
            return Parse(name, new ReadOnlySpan<byte>(reply, (int)received));
        }
        finally
        {
            Libc.Close(socket);
        }
    }

    private const nuint SiocGifAddr = 0x8915;
    private const nuint SiocGifNetmask = 0x891B;

    /// <summary>
    /// The kernel's primary IPv4 address of interface <paramref name="name"/> and its prefix length (SIOCGIFADDR,
    /// SIOCGIFNETMASK on a socket of the calling thread, so of its network namespace): what host-address mode shares.
    /// </summary>
    /// <exception cref="DeviceUnavailableException">No such interface, or it has no IPv4 address.</exception>
    public static (Wire.Ipv4Address Address, int PrefixLength) ReadIpv4Address(string name)
    {
        var request = Libc.InterfaceRequest.For(name);
        int socket = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (socket < 0) throw Failure(name, "socket(AF_INET)", Libc.LastErrno);
        try
        {
            var address = AskIpv4(socket, name, SiocGifAddr, ref request);
            var mask = AskIpv4(socket, name, SiocGifNetmask, ref request);
            return (address, System.Numerics.BitOperations.PopCount(mask.Value));
        }
        finally
        {
            Libc.Close(socket);
        }
    }

    private static Wire.Ipv4Address AskIpv4(int socket, string name, nuint command, ref Libc.InterfaceRequest request)
    {
        fixed (Libc.InterfaceRequest* pointer = &request)
        {
            if (Libc.Ioctl(socket, command, pointer) < 0)
            {
                int errno = Libc.LastErrno;
                throw errno switch
                {
                    Libc.ENODEV => new DeviceUnavailableException(DeviceUnavailableReason.NoSuchInterface, $"{name}: no such network interface in this network namespace"),
                    Libc.EADDRNOTAVAIL => new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{name}: the kernel holds no IPv4 address on it to share"),
                    _ => new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{name}: cannot read its IPv4 address: {Libc.Describe(errno)}"),
                };
            }
            return Wire.Ipv4Address.Read(new ReadOnlySpan<byte>(pointer->Ipv4Address, 4));
        }
    }

    private static int WriteRequest(Span<byte> request, string name)
    {
        request.Clear();
        int offset = HeaderLength + InfoLength; // ifinfomsg all zero: any family, index 0 (look up by name)
        offset = WriteAttribute(request, offset, IflaIfName, Encoding.ASCII.GetBytes(name + "\0"));
        Span<byte> mask = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(mask, RtextFilterSkipStats);
        offset = WriteAttribute(request, offset, IflaExtMask, mask);
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)offset);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], RtmGetLink);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], NlmFRequest);
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], 1); // sequence number
        return offset;
    }

    private static int WriteAttribute(Span<byte> buffer, int offset, ushort type, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[offset..], (ushort)(4 + value.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(buffer[(offset + 2)..], type);
        value.CopyTo(buffer[(offset + 4)..]);
        return offset + Align(4 + value.Length);
    }

    private static InterfaceFacts Parse(string name, ReadOnlySpan<byte> reply)
    {
        if (reply.Length < HeaderLength) throw Failure(name, "a short RTM_GETLINK reply");
        int messageLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(reply);
        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(reply[4..]);
        if (messageLength > reply.Length || messageLength < HeaderLength + 4) throw Failure(name, "a truncated RTM_GETLINK reply");
        if (type == NlmsgError)
        {
            int errno = -BinaryPrimitives.ReadInt32LittleEndian(reply[HeaderLength..]);
            if (errno == Libc.ENODEV)
                throw new DeviceUnavailableException(DeviceUnavailableReason.NoSuchInterface, $"{name}: no such network interface in this network namespace");
            throw Failure(name, "RTM_GETLINK", errno);
        }
        if (type != RtmNewLink || messageLength < HeaderLength + InfoLength) throw Failure(name, $"an unexpected netlink message (type {type})");
        int index = BinaryPrimitives.ReadInt32LittleEndian(reply[(HeaderLength + 4)..]);
        Wire.MacAddress mac = default;
        int mtu = 0;
        bool hasParent = false;
        var attributes = reply[(HeaderLength + InfoLength)..messageLength];
        while (attributes.Length >= 4)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            ushort attribute = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]) & 0x3FFF); // without NLA_F_NESTED/NET_BYTEORDER
            if (length < 4 || length > attributes.Length) break;
            var value = attributes[4..length];
            switch (attribute)
            {
                case IflaAddress when value.Length == 6: mac = Wire.MacAddress.Read(value); break;
                case IflaMtu when value.Length == 4: mtu = BinaryPrimitives.ReadInt32LittleEndian(value); break;
                case IflaParentDevName: hasParent = true; break;
            }
            attributes = attributes[Math.Min(Align(length), attributes.Length)..];
        }
        if (mtu <= 0) throw Failure(name, "an RTM_GETLINK reply without an MTU");
        return new InterfaceFacts(mac, mtu, IsVirtual: !hasParent);
    }

    private static int Align(int length) => (length + 3) & ~3;

    private static DeviceUnavailableException Failure(string name, string what, int errno) =>
        Failure(name, $"{what} failed: {Libc.Describe(errno)}");

    private static DeviceUnavailableException Failure(string name, string what) =>
        new(DeviceUnavailableReason.OpenFailed, $"{name}: cannot read the interface's MAC and MTU: {what}");
}
