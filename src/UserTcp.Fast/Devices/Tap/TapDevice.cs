using UserTcp.Fast.Buffers;
using UserTcp.Fast.Native;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.Tap;

/// <summary>
/// A TAP interface through /dev/net/tun: the kernel sees an Ethernet interface, the stack is the "wire" behind it.
/// </summary>
/// <remarks>
/// <para><b>Why not SharpPcap's TunnelDevice.</b> Measured once (SharpPcap 6.3.1, 10,000 frames of 106 bytes on a TAP,
/// GC.GetAllocatedBytesForCurrentThread around each call, a throwaway console run): its GetNextPacket allocates 760
/// bytes per frame and its SendPacket 136 bytes per frame (a ToArray copy among them). This device reads into one
/// pinned buffer and writes from the caller's span: 0 bytes either way (TapDeviceTests checks that over 10,000 frames).</para>
/// <para><b>Opening.</b> open(/dev/net/tun, O_RDWR|O_NONBLOCK) then TUNSETIFF with IFF_TAP|IFF_NO_PI: creates the
/// interface in the network namespace of the opening thread, or attaches to a persistent TAP of that name. Without
/// IFF_VNET_HDR the kernel does no segmentation or checksum offload towards us: frames are at most MTU + 14 bytes
/// and carry complete checksums. The interface is created down and without an address; whoever owns the kernel side
/// configures it (ip addr add, ip link set up).</para>
/// <para><b>Addresses.</b> The TAP interface's own MAC belongs to the kernel side. The stack is another host on this
/// link, so it needs its own MAC: <see cref="TapDeviceOptions.StackMacAddress"/>, or a random locally administered
/// unicast one (first octet x2, x6, xA or xE). <see cref="Mtu"/> is the interface's MTU when opened, asked of the
/// opening thread's namespace (<see cref="LinuxInterface"/>; sysfs may show another namespace).</para>
/// <para><b>Syscalls.</b> One read(2) per frame plus one that finds the queue empty per batch (EAGAIN): measured
/// 1.005 reads per frame for bursts of 200. One write(2) per frame. <see cref="DeviceStats.KernelDrops"/> stays 0: frames the kernel could not queue for us show as
/// the interface's tx_dropped (ip -s link).</para>
/// </remarks>
public sealed unsafe class TapDevice : DescriptorDevice, INetworkDevice
{
    private const string CloneDevice = "/dev/net/tun";
    /// <summary>_IOW('T', 202, int).</summary>
    private const uint TunSetInterface = 0x400454CA;
    private const short IffTap = 0x0002;
    private const short IffNoPacketInfo = 0x1000;
    /// <summary>The largest MTU a TAP accepts plus an Ethernet header with one VLAN tag: reads can never truncate.</summary>
    private const int MaxFrameBytes = ushort.MaxValue + LinkHeaderAllowance;

    private readonly FrameBuffer _receiveBuffer;

    /// <exception cref="DeviceUnavailableException">No TUN driver, not permitted, the name is taken by another kind of
    /// interface, or the TAP is attached to another process.</exception>
    public TapDevice(TapDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var request = Libc.InterfaceRequest.For(options.InterfaceName);
        Descriptor = OpenCloneDevice(options.InterfaceName);
        try
        {
            request.FlagsOrMtu = IffTap | IffNoPacketInfo;
            if (Libc.Ioctl(Descriptor, TunSetInterface, &request) < 0) throw AttachFailure(options.InterfaceName, Libc.LastErrno);
            Name = request.NameText;
            Mtu = LinuxInterface.Read(Name).Mtu;
            new FramePool(1, MaxFrameBytes).TryRent(out _receiveBuffer);
            Transmitter = new FrameTransmitter(Descriptor, Name, Counters, options.SendQueueCapacity, Mtu + LinkHeaderAllowance);
        }
        catch
        {
            Libc.Close(Descriptor);
            throw;
        }
        MacAddress = options.StackMacAddress ?? RandomLocalMacAddress();
    }

    public override string Name { get; }
    /// <summary>The stack's MAC on this link (not the TAP interface's, which is the kernel's).</summary>
    public MacAddress MacAddress { get; }
    public int Mtu { get; }
    /// <summary>Always true: the peer is this host's kernel.</summary>
    public bool IsHostLocal => true;

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(maxFrames);
        byte* buffer = _receiveBuffer.Pointer;
        int delivered = 0;
        while (delivered < maxFrames)
        {
            Counters.ReceiveCalls++;
            nint length = Libc.Read(Descriptor, buffer, MaxFrameBytes);
            if (length < 0)
            {
                int errno = Libc.LastErrno;
                if (errno == Libc.EAGAIN) break;
                if (errno == Libc.EINTR) continue;
                throw new DeviceUnavailableException(DeviceUnavailableReason.InterfaceGone, $"{Name}: read failed: {Libc.Describe(errno)}");
            }
            var deliveredAt = MonotonicClock.Now;
            Counters.FramesReceived++;
            Counters.BytesReceived += length;
            delivered++;
            handler.OnFrame(new ReadOnlySpan<byte>(buffer, (int)length), deliveredAt);
        }
        return delivered;
    }

    /// <summary>Closes the descriptor: a TAP this device created disappears, a persistent one stays.</summary>
    private protected override void Close() => Libc.Close(Descriptor);

    public override string ToString() => $"tap:{Name} (stack {MacAddress}, MTU {Mtu})";

    private static int OpenCloneDevice(string interfaceName)
    {
        int fd = Libc.Open(CloneDevice, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd >= 0) return fd;
        int errno = Libc.LastErrno;
        var reason = errno switch
        {
            Libc.ENOENT or Libc.ENODEV or Libc.ENXIO => DeviceUnavailableReason.DriverMissing,
            Libc.EACCES or Libc.EPERM => DeviceUnavailableReason.PermissionDenied,
            _ => DeviceUnavailableReason.OpenFailed,
        };
        throw new DeviceUnavailableException(reason, $"{interfaceName}: cannot open {CloneDevice}: {Libc.Describe(errno)}");
    }

    private static DeviceUnavailableException AttachFailure(string interfaceName, int errno)
    {
        var (reason, meaning) = errno switch
        {
            Libc.EPERM or Libc.EACCES => (DeviceUnavailableReason.PermissionDenied, "needs CAP_NET_ADMIN, or to own the persistent TAP"),
            Libc.EINVAL => (DeviceUnavailableReason.WrongKind, "the name belongs to an interface that is not a TAP (or a TAP with other flags)"),
            Libc.EBUSY => (DeviceUnavailableReason.InUse, "another process is attached to this TAP"),
            _ => (DeviceUnavailableReason.OpenFailed, "TUNSETIFF failed"),
        };
        return new DeviceUnavailableException(reason, $"{interfaceName}: {meaning}: {Libc.Describe(errno)}");
    }

    /// <summary>Locally administered (bit 1 of the first octet set), unicast (bit 0 clear): never a vendor's address.</summary>
    private static MacAddress RandomLocalMacAddress() =>
        new(((ulong)Random.Shared.NextInt64() & 0xFCFF_FFFF_FFFF) | 0x0200_0000_0000);
}
