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
/// interface in the network namespace of the opening thread, or attaches to a persistent TAP of that name. The interface
/// is created down and without an address; whoever owns the kernel side configures it (ip addr add, ip link set up).</para>
/// <para><b>Offloads</b> (<see cref="TapDeviceOptions.Offloads"/>, the default). With IFF_VNET_HDR every read and write
/// carries a virtio-net header, and TUNSETOFFLOAD (TUN_F_CSUM | TUN_F_TSO4) gives the interface checksum and TCP
/// segmentation offload, so the kernel hands us a TCP/IPv4 segment of up to 64 KiB as it holds it (one read for what was
/// up to 45 frames) with its checksum partial (the field holds the pseudo-header sum: the stack's checksum policy takes
/// that on a host-local link, as it does a veth's frames through pcap). The header says so; the frame after it is what the
/// stack parses, its IPv4 total length covering the whole segment. Frames the stack sends go behind an all-zero header
/// (complete, nothing to offload). Disposing gives the interface's offloads back (TUNSETOFFLOAD 0): a persistent TAP keeps
/// its features, and a later reader without IFF_VNET_HDR would get segments larger than its frames. Without offloads the
/// kernel cuts and sums every segment for us: frames are at most MTU + 14 bytes with complete checksums.</para>
/// <para><b>Addresses.</b> The TAP interface's own MAC belongs to the kernel side. The stack is another host on this
/// link, so it needs its own MAC: <see cref="TapDeviceOptions.StackMacAddress"/>, or a random locally administered
/// unicast one (first octet x2, x6, xA or xE). <see cref="Mtu"/> is the interface's MTU when opened, asked of the
/// opening thread's namespace (<see cref="LinuxInterface"/>; sysfs may show another namespace).</para>
/// <para><b>Syscalls.</b> A TAP hands over one frame per read and has no recvmmsg(2). With
/// <see cref="TapDeviceOptions.BatchedReads"/> (the default) an <see cref="IoUringBatchReader"/> runs up to 16 reads, each
/// RWF_NOWAIT, for one io_uring_enter(2), into 16 pinned slots of the largest read (1 MiB of address space, touched as
/// frames fill it); the batch grows while batches come back full and shrinks to twice what the last one found, so a
/// trickle of frames costs no more than a few empty reads. On this project's 2-core VM, where a system call is dear, that
/// halved the CPU of a 1 GiB download without offloads and doubled its throughput (1.55 s against 3.1 s). Without
/// io_uring (or with batching off): one read(2) per frame plus one that finds the queue empty per batch (EAGAIN),
/// measured 1.005 reads per frame for bursts of 200. One write(2) per frame sent. <see cref="DeviceStats.KernelDrops"/> stays 0: frames the kernel could not queue for us show as
/// the interface's tx_dropped (ip -s link).</para>
/// </remarks>
public sealed unsafe class TapDevice : DescriptorDevice, INetworkDevice
{
    private const string CloneDevice = "/dev/net/tun";
    /// <summary>_IOW('T', 202, int).</summary>
    private const uint TunSetInterface = 0x400454CA;
    private const short IffTap = 0x0002;
    private const short IffNoPacketInfo = 0x1000;
    private const short IffVirtioNetHeader = 0x4000;
    /// <summary>_IOW('T', 208, unsigned int): the argument is the value.</summary>
    private const uint TunSetOffload = 0x400454D0;
    /// <summary>_IOW('T', 216, int): the argument points to the size (a persistent TAP keeps what its last user set).</summary>
    private const uint TunSetVirtioNetHeaderSize = 0x400454D8;
    private const uint TunChecksumOffload = 0x01, TunSegmentationOffloadV4 = 0x02;
    /// <summary>The largest MTU a TAP accepts, or the largest segment the kernel hands over with offloads, plus an Ethernet
    /// header with one VLAN tag and the virtio-net header: reads can never truncate.</summary>
    private const int MaxReadBytes = VirtioNetHeader.Length + ushort.MaxValue + LinkHeaderAllowance;

    /// <summary>Reads one <see cref="Receive{THandler}"/> may batch into one io_uring_enter(2).</summary>
    private const int BatchedReads = 16;

    /// <summary>The one read(2)'s buffer when reads are not batched.</summary>
    private FrameBuffer _receiveBuffer;
    /// <summary>The batched reads, or null: <see cref="TapDeviceOptions.BatchedReads"/> off, no io_uring here, or this
    /// kernel's TAP refusing RWF_NOWAIT reads (found at the first batch).</summary>
    private IoUringBatchReader? _batchReader;
    /// <summary>How many reads the next batch submits: doubled while batches come back full, else twice what the last
    /// one found, so a trickle of frames does not pay for 16 empty reads each time.</summary>
    private int _nextBatch = 2;
    /// <summary>Bytes in front of every frame read or written: the virtio-net header with offloads, else none.</summary>
    private readonly int _headerBytes;

    /// <exception cref="DeviceUnavailableException">No TUN driver, not permitted, the name is taken by another kind of
    /// interface, or the TAP is attached to another process.</exception>
    public TapDevice(TapDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var request = Libc.InterfaceRequest.For(options.InterfaceName);
        Descriptor = OpenCloneDevice(options.InterfaceName);
        try
        {
            request.FlagsOrMtu = (short)(IffTap | IffNoPacketInfo | (options.Offloads ? IffVirtioNetHeader : 0));
            if (Libc.Ioctl(Descriptor, TunSetInterface, &request) < 0) throw AttachFailure(options.InterfaceName, Libc.LastErrno);
            Name = request.NameText;
            if (options.Offloads)
            {
                int headerSize = VirtioNetHeader.Length;
                if (Libc.Ioctl(Descriptor, TunSetVirtioNetHeaderSize, &headerSize) < 0)
                    throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{Name}: TUNSETVNETHDRSZ failed: {Libc.Describe(Libc.LastErrno)}");
                if (Libc.Ioctl(Descriptor, TunSetOffload, (void*)(TunChecksumOffload | TunSegmentationOffloadV4)) < 0)
                    throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{Name}: TUNSETOFFLOAD failed: {Libc.Describe(Libc.LastErrno)}");
                _headerBytes = VirtioNetHeader.Length;
            }
            Mtu = LinuxInterface.Read(Name).Mtu;
            if (options.BatchedReads)
            {
                _batchReader = IoUringBatchReader.TryCreate(Descriptor, BatchedReads, MaxReadBytes, out string? why);
                BatchingUnavailableReason = why;
            }
            if (_batchReader is null) _receiveBuffer = SingleReadBuffer();
            Transmitter = new FrameTransmitter(Descriptor, Name, Counters, options.SendQueueCapacity, Mtu + LinkHeaderAllowance,
                                               zeroHeaderWrites: options.Offloads);
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

    /// <summary>Whether frames are read in batches through io_uring (<see cref="TapDeviceOptions.BatchedReads"/>).</summary>
    public bool ReadsBatched => _batchReader is not null;
    /// <summary>Why reads are not batched though asked to be (this kernel's answer), or null.</summary>
    public string? BatchingUnavailableReason { get; private set; }

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(maxFrames);
        return _batchReader is null ? ReceiveEach(ref handler, maxFrames) : ReceiveBatched(_batchReader, ref handler, maxFrames);
    }

    /// <summary>One read(2) per frame, until one finds the queue empty.</summary>
    private int ReceiveEach<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        byte* buffer = _receiveBuffer.Pointer;
        int delivered = 0;
        while (delivered < maxFrames)
        {
            Counters.ReceiveCalls++;
            nint length = Libc.Read(Descriptor, buffer, MaxReadBytes);
            if (length < 0)
            {
                int errno = Libc.LastErrno;
                if (errno == Libc.EAGAIN) break;
                if (errno == Libc.EINTR) continue;
                throw new DeviceUnavailableException(DeviceUnavailableReason.InterfaceGone, $"{Name}: read failed: {Libc.Describe(errno)}");
            }
            if (Deliver(ref handler, buffer, (int)length, MonotonicClock.Now)) delivered++;
        }
        return delivered;
    }

    /// <summary>Batches of reads, one io_uring_enter(2) each, until a batch meets the empty queue (EAGAIN).</summary>
    private int ReceiveBatched<THandler>(IoUringBatchReader reader, ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        int delivered = 0;
        while (delivered < maxFrames)
        {
            int asked = Math.Min(_nextBatch, maxFrames - delivered);
            Counters.ReceiveCalls++;
            int completed = reader.Read(asked);
            var deliveredAt = MonotonicClock.Now;
            bool emptied = false;
            int found = 0;
            for (int i = 0; i < completed; i++)
            {
                var (slot, result) = reader.Completion(i);
                if (result < 0)
                {
                    if (result == -Libc.EAGAIN) emptied = true;
                    else if (result is -Libc.EOPNOTSUPP or -Libc.EINVAL && delivered == 0 && found == 0)
                        return FallBackToSingleReads(ref handler, maxFrames, result);
                    else if (result != -Libc.EINTR)
                        throw new DeviceUnavailableException(DeviceUnavailableReason.InterfaceGone, $"{Name}: read failed: {Libc.Describe(-result)}");
                    continue;
                }
                found++;
                if (Deliver(ref handler, reader.Slot(slot), result, deliveredAt)) delivered++;
            }
            _nextBatch = found == asked ? Math.Min(2 * asked, BatchedReads) : Math.Clamp(2 * found, 2, BatchedReads);
            if (emptied || found == 0) break;
        }
        return delivered;
    }

    /// <summary>A TAP whose kernel cannot read without waiting (no FMODE_NOWAIT: RWF_NOWAIT is refused) is read with
    /// read(2) from now on; nothing was read by the refused batch.</summary>
    private int FallBackToSingleReads<THandler>(ref THandler handler, int maxFrames, int refusal) where THandler : struct, IFrameReceiver
    {
        BatchingUnavailableReason = $"io_uring reads of a TAP refused: {Libc.Describe(-refusal)}";
        _batchReader!.Dispose();
        _batchReader = null;
        _receiveBuffer = SingleReadBuffer();
        return ReceiveEach(ref handler, maxFrames);
    }

    /// <summary>The pinned buffer one read(2) at a time fills: room for the largest read.</summary>
    private static FrameBuffer SingleReadBuffer()
    {
        new FramePool(1, MaxReadBytes).TryRent(out var buffer);
        return buffer;
    }

    /// <summary>Hands one read's frame, behind its virtio-net header if any, to <paramref name="handler"/>.</summary>
    private bool Deliver<THandler>(ref THandler handler, byte* read, int length, Instant deliveredAt) where THandler : struct, IFrameReceiver
    {
        length -= _headerBytes; // the virtio-net header: whatever it says, the frame after it is whole
        if (length < 0) return false; // never: the kernel writes the header in front of every frame
        Counters.FramesReceived++;
        Counters.BytesReceived += length;
        handler.OnFrame(new ReadOnlySpan<byte>(read + _headerBytes, length), deliveredAt);
        return true;
    }

    /// <summary>Closes the descriptor: a TAP this device created disappears, a persistent one stays, without the offloads
    /// this device gave it.</summary>
    private protected override void Close()
    {
        _batchReader?.Dispose();
        if (_headerBytes > 0) Libc.Ioctl(Descriptor, TunSetOffload, null); // best effort: the interface may be gone
        Libc.Close(Descriptor);
    }

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
