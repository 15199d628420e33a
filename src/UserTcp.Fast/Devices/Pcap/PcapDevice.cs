using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;
using UserTcp.Fast.Native;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// A live Ethernet interface through libpcap: SharpPcap finds and opens it, the per-frame paths call libpcap and libc
/// directly so that nothing is allocated per frame.
/// </summary>
/// <remarks>
/// <para><b>Opening.</b> Immediate mode (no batching delay; libpcap then uses a TPACKET_V2 ring), a kernel ring of
/// <see cref="PcapDeviceOptions.KernelBufferBytes"/>, by default sized from the receive window (<see cref="CaptureRing"/>), snapshot length ≥ 64 KiB + 18 (GSO on veth delivers frames up to
/// 64 KiB: PcapDeviceTests receives a 56,042-byte UDP GSO frame), nanosecond timestamps, non-blocking, not promiscuous (the stack uses the interface's own MAC).</para>
/// <para><b>Filter</b> (<see cref="FilterFor"/>): frames not from the interface's own MAC that are ARP whose target
/// is the stack's IP, or IPv4 to the stack's IP or to 255.255.255.255. A packet socket sees every frame the interface
/// sends except its own, and on a pcap device the stack's MAC is the interface's, so the source test keeps out what
/// this host sends there (another handle, the kernel). Measured on libpcap 1.10.3 with 20 pings sent by the kernel
/// out of a veth: pcap_setdirection(PCAP_D_IN) (tcpdump -Q in) drops them only in libpcap, after they took ring slots
/// (ps_recv 25 for 5 inbound frames); the <c>inbound</c> keyword compiles to a kernel packet-type test (ps_recv 0), but
/// libpcap re-filters the first frame after pcap_setfilter in user space, where that kernel-only load always rejects:
/// with it every test here lost its first frame. The source-MAC test runs in the kernel and in libpcap alike.</para>
/// <para><b>Receive</b>: pcap_dispatch with an <see cref="UnmanagedCallersOnlyAttribute"/> callback that hands
/// libpcap's ring slot straight to the handler (zero copy), chosen over SharpPcap's GetNextPacketPointers
/// (pcap_next_ex per frame) by measurement on a veth (this lab's 2-core Debian 12 VM, libpcap 1.10.3), draining a ring
/// pre-filled with 10,000 frames by a raw socket in the peer namespace (PcapReceiveCandidateTests prints these):
/// <list type="table">
/// <listheader><term>path (60-byte / 1514-byte frames, median of 5 rounds)</term><description>frames/s, bytes allocated per frame</description></listheader>
/// <item><term>pcap_dispatch + unmanaged callback, batches of 256</term><description>39.7 M / 44.3 M, 0</description></item>
/// <item><term>GetNextPacketPointers (pcap_next_ex, a SafeHandle P/Invoke per frame)</term><description>6.4 M / 4.6 M, 0</description></item>
/// <item><term>GetNextPacket (for reference)</term><description>19 k / 20 k, 96</description></item>
/// </list>
/// While frames wait in the ring pcap_dispatch makes no system call; a call that finds the ring empty makes one
/// zero-timeout poll(2). strace on the draining thread counted 40 pcap_dispatch calls and no poll for 10,000 frames
/// (the only receive-side call was one getsockopt for the stats refresh below). <see cref="DeviceStats.ReceiveCalls"/>
/// counts pcap_dispatch calls, the upper bound of receive system calls.</para>
/// <para><b>Timestamps.</b> The kernel stamps each frame with CLOCK_REALTIME; each batch reads CLOCK_REALTIME and
/// <see cref="MonotonicClock"/> once and moves the capture stamps onto the monotonic scale (age of the frame subtracted
/// from now, never later than now), so <c>deliveredAt</c> is the arrival time, not the read time. A step of the wall
/// clock while frames wait skews only those frames' ages.</para>
/// <para><b>Send</b>: sendmmsg(2) on libpcap's packet socket, up to <see cref="PcapDeviceOptions.SendBatchFrames"/> frames
/// per call, flushed by the poll loop after a batch's ACKs and at the end of every turn (<see cref="FrameTransmitter"/>:
/// the bound, deferral and drops); with a batch of 1, one write(2) per frame, the call pcap_inject makes on Linux. errno
/// is in hand and the descriptor non-blocking, so a full socket buffer is EAGAIN, not a stall. Optionally
/// PACKET_QDISC_BYPASS (<see cref="PcapDeviceOptions.QdiscBypass"/>).</para>
/// <para><b>Segmentation offload</b> (<see cref="PcapDeviceOptions.SegmentationOffload"/>, on by default): from the first
/// frame to be segmented on, frames go out instead through a send-only packet socket of the device's own (protocol 0: it receives nothing) bound to the interface,
/// with PACKET_VNET_HDR, so that a TCP segment of up to 64 KiB goes to the kernel whole with a virtio-net header asking for
/// TCPV4 segmentation at the MSS (<see cref="VirtioNetHeader"/>); the kernel's GSO cuts it, or a veth passes it whole to a
/// peer namespace (with TSO on), checksums included. libpcap's socket cannot take the option: the kernel refuses
/// PACKET_VNET_HDR once a ring is mapped (packet_setsockopt: EBUSY), and libpcap maps its ring when it activates. The
/// capture socket sees the frames this socket sends, as any other outgoing frame, and its filter (the source MAC) keeps them
/// out. The socket opens lazily because closing it costs a synchronize_net() (see <see cref="OpenSegmentingTransmitter"/>).</para>
/// <para><b>Kernel drops</b>: pcap_stats' ps_drop, refreshed at most every 100 ms from <see cref="Receive{THandler}"/>
/// (it costs a getsockopt).</para>
/// </remarks>
public sealed unsafe class PcapDevice : DescriptorDevice, INetworkDevice, ISegmentationOffload
{
    private static readonly TimeSpan KernelStatsInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>The largest frame handed over to be segmented: a 65,535-byte IPv4 packet and its Ethernet header.</summary>
    private const int LargestSegmentedFrame = CaptureRing.LargestOffloadPacket + EthernetFrame.HeaderLength;

    private readonly LibPcapLiveDevice _capture;
    private readonly nint _pcap;
    private readonly PcapDeviceOptions _options;
    /// <summary>The send-only packet socket with PACKET_VNET_HDR; -1 until the first frame to be segmented (frames go out on libpcap's).</summary>
    private int _sendSocket = -1;
    private Instant _kernelStatsDueAt;

    /// <exception cref="DeviceUnavailableException">No such interface, libpcap missing, not permitted, or libpcap refused.</exception>
    public PcapDevice(PcapDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SnapshotLength, ushort.MaxValue + LinkHeaderAllowance);
        if (options.KernelBufferBytes is { } bufferBytes) ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 1024 * 1024, nameof(options.KernelBufferBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.ReceiveWindowBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.SendBatchFrames);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.SendBatchFrames, options.SendQueueCapacity);
        _options = options;
        Name = options.InterfaceName;
        var facts = LinuxInterface.Read(Name);
        MacAddress = facts.MacAddress;
        Mtu = facts.Mtu;
        IsHostLocal = facts.IsVirtual;
        Filter = FilterFor(MacAddress, options.StackAddress);

        bool offloads = InterfaceOffloads.AnyOn(Name);
        int ringBufferBytes = options.KernelBufferBytes ?? CaptureRing.BufferBytesFor(Mtu, offloads, options.SnapshotLength, options.ReceiveWindowBytes);
        Ring = CaptureRing.For(Mtu, offloads, options.SnapshotLength, ringBufferBytes);

        _capture = FindCaptureDevice(Name);
        try
        {
            Open(_capture, options.SnapshotLength, ringBufferBytes, Filter);
            _pcap = _capture.Handle.DangerousGetHandle();
            Descriptor = LibPcap.SelectableFd(_pcap);
            if (Descriptor < 0) throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{Name}: libpcap gave no selectable descriptor");
            Libc.MakeNonBlocking(Descriptor, Name);
            if (options.QdiscBypass) BypassQdisc(Descriptor, Name);
            Transmitter = new FrameTransmitter(Descriptor, Name, Counters, options.SendQueueCapacity, Mtu + LinkHeaderAllowance, options.SendBatchFrames);
        }
        catch
        {
            _capture.Close();
            throw;
        }
    }

    int ISegmentationOffload.MaxSegmentedFrameBytes => _options.SegmentationOffload ? LargestSegmentedFrame : 0;

    bool ISegmentationOffload.SendSegmented(ReadOnlySpan<byte> frame, int segmentSize)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_sendSocket < 0) OpenSegmentingTransmitter();
        return Transmitter.Send(frame, segmentSize);
    }

    /// <summary>Whether the send socket of segmentation offload is open (it opens at the first frame to be segmented).</summary>
    internal bool SegmentingSocketOpen => _sendSocket >= 0;

    /// <summary>
    /// Opens the send socket with PACKET_VNET_HDR and sends every later frame through it. Lazily: closing a packet socket
    /// costs the kernel a synchronize_net() (net/packet/af_packet.c packet_release), 10-20 ms here, which a command that never
    /// sends a segment of several MSS (a small download) need not pay. Frames the old transmitter still holds go first.
    /// </summary>
    private void OpenSegmentingTransmitter()
    {
        int socket = OpenSendSocket(Name);
        try
        {
            if (_options.QdiscBypass) BypassQdisc(socket, Name);
        }
        catch
        {
            Libc.Close(socket);
            throw;
        }
        _sendSocket = socket;
        Transmitter = new FrameTransmitter(socket, Name, Counters, _options.SendQueueCapacity, Mtu + LinkHeaderAllowance,
                                           _options.SendBatchFrames, virtioNetHeader: true, LargestSegmentedFrame, predecessor: Transmitter);
    }

    /// <summary>socket(AF_PACKET, SOCK_RAW, 0) with PACKET_VNET_HDR, bound to <paramref name="name"/>'s index, non-blocking.</summary>
    private static int OpenSendSocket(string name)
    {
        int socket = Libc.Socket(Libc.AF_PACKET, Libc.SOCK_RAW | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (socket < 0)
            throw new DeviceUnavailableException(Libc.LastErrno is Libc.EPERM or Libc.EACCES ? DeviceUnavailableReason.PermissionDenied : DeviceUnavailableReason.OpenFailed,
                $"{name}: send socket: {Libc.Describe(Libc.LastErrno)}");
        try
        {
            int on = 1;
            if (Libc.SetSocketOption(socket, Libc.SOL_PACKET, Libc.PACKET_VNET_HDR, &on, sizeof(int)) != 0)
                throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{name}: PACKET_VNET_HDR refused: {Libc.Describe(Libc.LastErrno)}");
            uint index = Libc.IfNameToIndex(name);
            if (index == 0) throw new DeviceUnavailableException(DeviceUnavailableReason.NoSuchInterface, $"{name}: no such interface");
            // struct sockaddr_ll: family, protocol (0: receive nothing), interface index; the rest unused for bind.
            byte* address = stackalloc byte[20];
            new Span<byte>(address, 20).Clear();
            *(ushort*)address = Libc.AF_PACKET;
            *(int*)(address + 4) = (int)index;
            if (Libc.Bind(socket, address, 20) != 0)
                throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{name}: binding the send socket: {Libc.Describe(Libc.LastErrno)}");
            return socket;
        }
        catch
        {
            Libc.Close(socket);
            throw;
        }
    }

    public override string Name { get; }
    public MacAddress MacAddress { get; }
    public int Mtu { get; }
    public bool IsHostLocal { get; }
    /// <summary>The capture filter in libpcap's language.</summary>
    public string Filter { get; }

    /// <summary>The capture ring libpcap was asked for, as it builds it (unless the kernel refused that much memory).</summary>
    internal CaptureRing Ring { get; }

    /// <summary>The SharpPcap device underneath, for tests that compare receive paths on the same handle.</summary>
    internal LibPcapLiveDevice Capture => _capture;

    /// <summary>With no stack address yet (0.0.0.0: DHCP will give one), every ARP packet (the RFC 5227 probe's answer is
    /// addressed to 0.0.0.0; the leased address is not known at open) and IPv4 to the interface's MAC or broadcast: the
    /// interface layer drops what is not for the address it holds.</summary>
    internal static string FilterFor(MacAddress interfaceMac, Ipv4Address stackAddress) => stackAddress == Ipv4Address.Any
        ? $"not ether src {interfaceMac} and (arp or (ip and (ether dst {interfaceMac} or dst host {Ipv4Address.Broadcast})))"
        : $"not ether src {interfaceMac} and ((arp and arp dst host {stackAddress}) or (ip and (dst host {stackAddress} or dst host {Ipv4Address.Broadcast})))";

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(maxFrames);
        // pcap_dispatch reads 0 as "no limit".
        if (maxFrames == 0) return 0;

        // libpcap calls back through native code, which cannot carry a generic ref: the handler is copied to this
        // frame's stack (which does not move) and copied back, so its state changes survive as with a direct call.
        var handlerCopy = handler;
        var batch = new DispatchBatch(Unsafe.AsPointer(ref handlerCopy), &DeliverTo<THandler>, _pcap);
        int result;
        try
        {
            result = LibPcap.Dispatch(_pcap, maxFrames, &OnPacket, (byte*)Unsafe.AsPointer(ref batch));
        }
        finally
        {
            handler = handlerCopy;
        }
        Counters.ReceiveCalls++;
        Counters.FramesReceived += batch.Delivered;
        Counters.BytesReceived += batch.Bytes;
        Counters.Oversize += batch.Truncated;
        if (batch.Failure is not null) batch.Failure.Throw();
        if (result < 0)
            throw new DeviceUnavailableException(DeviceUnavailableReason.InterfaceGone, $"{Name}: receive failed: {LibPcap.LastErrorText(_pcap)}");
        if (batch.MonotonicNow >= _kernelStatsDueAt) RefreshKernelStats(batch.MonotonicNow);
        return batch.Delivered;
    }

    private protected override void Close()
    {
        if (_sendSocket >= 0) Libc.Close(_sendSocket);
        _capture.Close();
    }

    private static void BypassQdisc(int descriptor, string name)
    {
        int on = 1;
        if (Libc.SetSocketOption(descriptor, Libc.SOL_PACKET, Libc.PACKET_QDISC_BYPASS, &on, sizeof(int)) != 0)
            throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{name}: PACKET_QDISC_BYPASS refused: {Libc.Describe(Libc.LastErrno)}");
    }

    public override string ToString() => $"pcap:{Name} ({MacAddress}, MTU {Mtu})";

    private void RefreshKernelStats(Instant now)
    {
        LibPcap.Statistics statistics;
        if (LibPcap.Stats(_pcap, &statistics) == 0) Counters.KernelDrops = statistics.Dropped;
        _kernelStatsDueAt = now + KernelStatsInterval;
    }

    private static void DeliverTo<THandler>(void* handler, ReadOnlySpan<byte> frame, Instant deliveredAt)
        where THandler : struct, IFrameReceiver =>
        Unsafe.AsRef<THandler>(handler).OnFrame(frame, deliveredAt);

    [UnmanagedCallersOnly]
    private static void OnPacket(byte* user, LibPcap.PacketHeader* header, byte* data)
    {
        ref var batch = ref Unsafe.AsRef<DispatchBatch>(user);
        // A frame cut by the snapshot length or the ring slot is useless to the stack (IP total length > bytes).
        if (header->CaptureLength < header->WireLength)
        {
            batch.Truncated++;
            return;
        }
        int length = (int)header->CaptureLength;
        try
        {
            batch.Deliver(batch.Handler, new ReadOnlySpan<byte>(data, length), batch.ArrivalOf(header));
            batch.Delivered++;
            batch.Bytes += length;
        }
        catch (Exception e)
        {
            // An exception must not unwind through libpcap's frames: keep it, stop the loop, rethrow in Receive.
            batch.Failure = ExceptionDispatchInfo.Capture(e);
            LibPcap.BreakLoop(batch.Pcap);
        }
    }

    /// <summary>State of one pcap_dispatch call, on the caller's stack; the callback reaches it through libpcap's user pointer.</summary>
    private struct DispatchBatch
    {
        public readonly void* Handler;
        public readonly delegate*<void*, ReadOnlySpan<byte>, Instant, void> Deliver;
        public readonly nint Pcap;
        public readonly long MonotonicNowNanoseconds;
        public readonly long RealtimeNowNanoseconds;
        public int Delivered;
        public long Bytes;
        public long Truncated;
        public ExceptionDispatchInfo? Failure;

        public DispatchBatch(void* handler, delegate*<void*, ReadOnlySpan<byte>, Instant, void> deliver, nint pcap)
        {
            Handler = handler;
            Deliver = deliver;
            Pcap = pcap;
            // The realtime reading between two monotonic ones, their midpoint its monotonic time: a preemption between two
            // plain readings shifted every arrival of the batch by its length (busy polling once recorded an ACK delay of 0,
            // the arrival moved past the flush). A pair further apart than MaxReadingGap is read again, a bounded number of
            // times; the last pair is kept whatever its gap.
            Libc.TimeSpec realtime;
            long before, after;
            int attempts = 0;
            do
            {
                before = MonotonicClock.Now.Nanoseconds;
                Libc.ClockGetTime(Libc.CLOCK_REALTIME, &realtime);
                after = MonotonicClock.Now.Nanoseconds;
            }
            while (after - before > MaxReadingGapNanoseconds && ++attempts < MaxReadingAttempts);
            MonotonicNowNanoseconds = before + (after - before) / 2;
            RealtimeNowNanoseconds = realtime.Seconds * 1_000_000_000 + realtime.Nanoseconds;
        }

        /// <summary>Clock readings bracketing the realtime one this far apart err by up to half of it (vDSO reads take ~20 ns).</summary>
        private const long MaxReadingGapNanoseconds = 1_000;
        private const int MaxReadingAttempts = 3;

        public readonly Instant MonotonicNow => new(MonotonicNowNanoseconds);

        /// <summary>
        /// The frame's capture time on the monotonic clock, by its offset from the realtime reading taken with the monotonic
        /// one. A frame captured after that reading (the thread was preempted between it and the ring's read, or the frame
        /// landed while the ring was being read) gets a time after it, not the reading itself: clamped, a whole batch once
        /// carried a 4.3 ms delay the observer on the wire did not see (perf-results/ack-latency.md, the maxima).
        /// </summary>
        public readonly Instant ArrivalOf(LibPcap.PacketHeader* header)
        {
            long age = RealtimeNowNanoseconds - (header->Seconds * 1_000_000_000 + header->Fraction);
            return new Instant(MonotonicNowNanoseconds - age);
        }
    }

    private static LibPcapLiveDevice FindCaptureDevice(string name)
    {
        try
        {
            // New(), not Instance: the cached list would miss interfaces created after its first use.
            return LibPcapLiveDeviceList.New().FirstOrDefault(device => device.Name == name)
                ?? throw new DeviceUnavailableException(DeviceUnavailableReason.NoSuchInterface, $"{name}: libpcap does not list this interface");
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw new DeviceUnavailableException(DeviceUnavailableReason.LibraryMissing,
                $"libpcap could not be loaded ({LibPcap.Library}; on Debian: apt-get install libpcap0.8): {e.GetBaseException().Message}", e);
        }
    }

    private static void Open(LibPcapLiveDevice capture, int snapshotLength, int bufferBytes, string filter)
    {
        try
        {
            capture.Open(new DeviceConfiguration
            {
                Mode = DeviceModes.None,
                Snaplen = snapshotLength,
                BufferSize = bufferBytes,
                Immediate = true,
                TimestampResolution = TimestampResolution.Nanosecond,
            });
            if (capture.LinkType != PacketDotNet.LinkLayers.Ethernet)
                throw new DeviceUnavailableException(DeviceUnavailableReason.WrongKind, $"{capture.Name}: link type {capture.LinkType}, not Ethernet");
            capture.Filter = filter;
            capture.NonBlockingMode = true;
        }
        catch (PcapException e)
        {
            var reason = e.Error switch
            {
                PcapError.NoSuchDevice => DeviceUnavailableReason.NoSuchInterface,
                PcapError.PermissionDenied or PcapError.PromiscuousPermissionDenied => DeviceUnavailableReason.PermissionDenied,
                PcapError.InterfaceNotUp => DeviceUnavailableReason.InterfaceGone,
                _ => DeviceUnavailableReason.OpenFailed,
            };
            string hint = reason == DeviceUnavailableReason.PermissionDenied ? " (needs root or CAP_NET_RAW)" : "";
            throw new DeviceUnavailableException(reason, $"{capture.Name}: {e.Message}{hint}", e);
        }
    }
}
