using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Native;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// A live Ethernet interface through a packet socket of its own and libpcap's ring (<see cref="LibPcapHandle"/>), both
/// called directly, without SharpPcap's device layer, so that nothing is allocated per frame.
/// </summary>
/// <remarks>
/// <para><b>Two receive paths</b> (<see cref="PcapDeviceOptions.ReceivePath"/>). A packet socket of the device's own read
/// with recvmmsg(2) (<see cref="PacketSocketReceiver"/>), and libpcap's ring read with pcap_dispatch. The ring is the fast
/// one for bulk (no system call while frames wait, and the kernel copies each frame into it in softirq, on the sender's
/// core for a veth, where the socket leaves the copy to the poll thread: a 1 GiB download on the lab's veth took the socket
/// 15-20 % longer), but costs the kernel three RCU grace periods, one to set it up (synchronize_net in packet_set_ring)
/// and two at close, 8-10 ms each here: most of what a 64 KiB download waited for beyond its own work. The socket costs
/// one, at close. <see cref="PcapReceivePath.Auto"/>, the default, starts on the socket and moves to the ring after
/// <see cref="RingAfterBytes"/> (see <see cref="MoveTowardsRing"/>); at close the descriptors close on threads of their
/// own at once, so their grace periods overlap.</para>
/// <para><b>Opening the ring</b> (<see cref="LibPcapHandle"/>: pcap_create and pcap_activate by name). Immediate mode (no batching delay; libpcap then uses a TPACKET_V2 ring), a kernel ring of
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
/// <para><b>Receive from the ring</b>: pcap_dispatch with an <see cref="UnmanagedCallersOnlyAttribute"/> callback that hands
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
/// <para><b>Send</b>: sendmmsg(2) on the receiving packet socket (the device's own, or libpcap's once the ring receives), up to <see cref="PcapDeviceOptions.SendBatchFrames"/> frames
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
public sealed unsafe class PcapDevice : DescriptorDevice, INetworkDevice, ISegmentationOffload, IFrameWaitingHint
{
    /// <summary>How often the kernel's drop count is asked for (a getsockopt), by either receive path.</summary>
    internal static readonly TimeSpan KernelStatsInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>The largest frame handed over to be segmented: a 65,535-byte IPv4 packet and its Ethernet header.</summary>
    private const int LargestSegmentedFrame = CaptureRing.LargestOffloadPacket + EthernetFrame.HeaderLength;

    /// <summary>Bytes received through the socket after which <see cref="PcapReceivePath.Auto"/> sets up libpcap's ring: one
    /// default receive window. A 64 KiB page never gets there; a bulk transfer does within milliseconds.</summary>
    public const long RingAfterBytes = 4 << 20;

    /// <summary>libpcap's handle and its pcap_t once the ring is open; null and 0 before (or with a socket only).</summary>
    private LibPcapHandle? _capture;
    private nint _pcap;
    /// <summary>Whether a frame waits in the ring, read in place; null with the socket, or a ring it cannot follow.</summary>
    private RingCursor? _cursor;
    /// <summary>The socket while it receives; null on the ring.</summary>
    private PacketSocketReceiver? _receiver;
    /// <summary>The socket's descriptor, open until the device closes (frames may still leave through it); -1 with the ring only.</summary>
    private readonly int _socket = -1;
    private readonly PcapDeviceOptions _options;
    private readonly bool _offloads;
    /// <summary>The network namespace the device opened in, for the thread that sets the ring up (<see cref="PcapReceivePath.Auto"/>).</summary>
    private readonly int _namespace = -1;
    private RingSwitch _switch;
    /// <summary>Sets the ring up (<see cref="PcapReceivePath.Auto"/>): started with the device, it waits for
    /// <see cref="_openRing"/>, so that the poll thread starts the set-up with an allocation-free Set (a thread started at
    /// the threshold allocated 120 B on the poll thread, in a download's steady state).</summary>
    private readonly Thread? _ringOpener;
    private readonly ManualResetEventSlim? _openRing;
    /// <summary>Set before <see cref="_openRing"/> when the device closes before the ring was asked for: the opener leaves.</summary>
    private volatile bool _ringNotWanted;
    /// <summary>What the opener made (or why it failed), published by <see cref="_ringOpened"/>.</summary>
    private OpenedRing? _openedRing;
    /// <summary>Set by the opener once <see cref="_openedRing"/> or <see cref="RingFailure"/> is written (a volatile write:
    /// the poll thread's volatile read of it sees them).</summary>
    private volatile bool _ringOpened;
    /// <summary>After the move to the ring, until its first drain: ring frames stamped at or before this (CLOCK_REALTIME ns)
    /// were the socket's last ones too.</summary>
    private long _duplicatesUpTo;
    /// <summary>The socket's kernel drops when the ring took over (the ring's own are added to them).</summary>
    private long _socketKernelDrops;
    /// <summary>The send-only packet socket with PACKET_VNET_HDR; -1 until the first frame to be segmented (frames go out on the capture socket).</summary>
    private int _sendSocket = -1;
    private Instant _kernelStatsDueAt;

    /// <exception cref="DeviceUnavailableException">No such interface, libpcap missing, not permitted, or libpcap or the kernel refused.</exception>
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
        ReceivePath = options.ReceivePath;
        _offloads = InterfaceOffloads.AnyOn(Name);

        try
        {
            if (options.ReceivePath == PcapReceivePath.Ring)
            {
                (_capture, Ring) = OpenRing(Name, Mtu, options, _offloads, Filter);
                _pcap = _capture.Pcap;
                Descriptor = _capture.Descriptor;
                _cursor = RingCursor.Find(Descriptor, Ring.Value);
            }
            else
            {
                int frameBytes = Math.Min(options.SnapshotLength, CaptureRing.LargestFrame(Mtu, _offloads));
                _receiver = PacketSocketReceiver.Open(Name, Filter, options.SnapshotLength, frameBytes,
                                                      options.KernelBufferBytes ?? PacketSocketReceiver.BufferBytesFor(options.ReceiveWindowBytes), Counters);
                _socket = Descriptor = _receiver.Socket;
                if (options.ReceivePath == PcapReceivePath.Auto)
                {
                    _namespace = Libc.Open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC);
                    if (_namespace < 0)
                        throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{Name}: cannot open this thread's network namespace: {Libc.Describe(Libc.LastErrno)}");
                    _openRing = new ManualResetEventSlim();
                    _ringOpener = new Thread(OpenRingInNamespace) { IsBackground = true, Name = "pcap ring opener" };
                    _ringOpener.UnsafeStart();
                }
            }
            Transmitter = PlainTransmitter(Descriptor);
        }
        catch
        {
            Close();
            throw;
        }
    }

    /// <summary>The ring <see cref="PcapReceivePath.Auto"/> set up, with the transmitter for its socket built on the same
    /// thread: the move itself allocates nothing on the poll thread, often in the middle of a transfer.</summary>
    private sealed record OpenedRing(LibPcapHandle Capture, FrameTransmitter Transmitter, RingCursor? Cursor);

    /// <summary>Where <see cref="PcapReceivePath.Auto"/> stands: socket, ring being set up, socket drained, ring.</summary>
    private enum RingSwitch
    {
        Socket,
        Opening,
        Draining,
        Ring,
        Refused,
    }

    /// <summary>Opens libpcap's ring (see the remarks), non-blocking: the handle and the ring as built.</summary>
    private static (LibPcapHandle Capture, CaptureRing Ring) OpenRing(string name, int mtu, PcapDeviceOptions options, bool offloads, string filter)
    {
        int ringBufferBytes = options.KernelBufferBytes ?? CaptureRing.BufferBytesFor(mtu, offloads, options.SnapshotLength, options.ReceiveWindowBytes);
        return (LibPcapHandle.Open(name, options.SnapshotLength, ringBufferBytes, filter), CaptureRing.For(mtu, offloads, options.SnapshotLength, ringBufferBytes));
    }

    /// <summary>A transmitter of MTU-sized frames on a capture socket (libpcap's or the device's own), past the qdisc if asked.</summary>
    private FrameTransmitter PlainTransmitter(int descriptor)
    {
        if (_options.QdiscBypass) BypassQdisc(descriptor, Name);
        return new FrameTransmitter(descriptor, Name, Counters, _options.SendQueueCapacity, Mtu + LinkHeaderAllowance, _options.SendBatchFrames);
    }

    /// <summary>How frames come from the kernel, as configured.</summary>
    public PcapReceivePath ReceivePath { get; }

    /// <summary>Whether the ring's next slot holds a frame (<see cref="RingCursor"/>; set only once frames come from the
    /// ring); false with the socket.</summary>
    bool IFrameWaitingHint.FrameWaiting => _cursor is { FrameWaiting: true };

    /// <summary>Whether frames come from libpcap's ring now (<see cref="PcapReceivePath.Auto"/> moves there after <see cref="RingAfterBytes"/>).</summary>
    internal bool ReceivesFromRing => _receiver is null;

    /// <summary>Whether the ring is set up and waits for the next receive to start the move (for tests that time traffic into the overlap).</summary>
    internal bool RingReady => _switch == RingSwitch.Opening && _ringOpened;

    /// <summary>Why <see cref="PcapReceivePath.Auto"/> stayed on the socket: the ring could not be set up (null otherwise).</summary>
    internal Exception? RingFailure { get; private set; }

    int ISegmentationOffload.MaxSegmentedFrameBytes => _options.SegmentationOffload && SegmentationFailure is null ? LargestSegmentedFrame : 0;

    /// <summary>Why the send socket of segmentation offload could not be opened (null: it opened, or was not needed yet).
    /// From then on the device takes no frame to segment, and the interface sends MSS-sized frames.</summary>
    internal DeviceUnavailableException? SegmentationFailure { get; private set; }

    bool ISegmentationOffload.SendSegmented(ReadOnlySpan<byte> frame, int segmentSize) =>
        SegmentingTransmitterReady() && Transmitter.Send(frame, segmentSize);

    /// <summary>True while segmentation is on: the segmenting socket's transmitter sends header and payload as two parts of
    /// one message (sendmmsg's iovecs), so the payload's only copy is the kernel's.</summary>
    bool ISegmentationOffload.TakesPayloadByReference => ((ISegmentationOffload)this).MaxSegmentedFrameBytes > 0;

    bool ISegmentationOffload.SendSegmented(ReadOnlySpan<byte> headers, in SegmentPayload payload, int segmentSize) =>
        SegmentingTransmitterReady() && Transmitter.Send(headers, in payload, segmentSize);

    void ISegmentationOffload.SettlePayloads()
    {
        if (_sendSocket >= 0) Transmitter.SettlePayloads();
    }

    /// <summary>Opens the segmenting socket at the first frame to be segmented; false (the frame dropped and counted) when
    /// it cannot be opened, now or before.</summary>
    private bool SegmentingTransmitterReady()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_sendSocket >= 0) return true;
        if (SegmentationFailure is null)
        {
            try
            {
                OpenSegmentingTransmitter();
                return true;
            }
            catch (DeviceUnavailableException e)
            {
                // On the poll thread, in the middle of a transfer (descriptors exhausted, the interface renamed): losing
                // this one frame to a retransmission beats stopping the stack.
                SegmentationFailure = e;
            }
        }
        Counters.SendsDropped++;
        return false;
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

    /// <summary>socket(AF_PACKET, SOCK_RAW, 0) with PACKET_VNET_HDR, bound to <paramref name="name"/>'s index with protocol 0 (it receives nothing).</summary>
    private static int OpenSendSocket(string name)
    {
        int socket = PacketSocket.Open(name, "send socket");
        try
        {
            PacketSocket.SetOption(socket, Libc.SOL_PACKET, Libc.PACKET_VNET_HDR, 1, name, "PACKET_VNET_HDR");
            PacketSocket.Bind(socket, name, 0);
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

    /// <summary>The capture ring libpcap was asked for, as it builds it (unless the kernel refused that much memory); null without one.</summary>
    internal CaptureRing? Ring { get; private set; }

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
        if (maxFrames == 0) return 0;
        if (_receiver is null) return Dispatch(ref handler, maxFrames);
        int received = _receiver.Receive(ref handler, maxFrames);
        if (_options.ReceivePath == PcapReceivePath.Auto && _switch != RingSwitch.Refused)
        {
            MoveTowardsRing(socketEmpty: received < maxFrames);
            if (_receiver is null && received < maxFrames) received += Dispatch(ref handler, maxFrames - received);
        }
        return received;
    }

    /// <summary>
    /// <see cref="PcapReceivePath.Auto"/>, one step per receive: past <see cref="RingAfterBytes"/>, the ring is set up on a
    /// thread of its own (its RCU grace period off the poll thread) and, from its bind, receives every frame the socket does;
    /// once it is ready the socket's filter is swapped for one that keeps nothing, the ring's descriptor becomes the one to
    /// wait on (the ring holds every frame the socket still does), what the socket holds is read (the poll loop's batches
    /// as usual), and the ring takes over, skipping its frames stamped at or before the socket's last (the
    /// same skb, the same stamp). A frame still in another core's softirq as the filter is swapped can land in the socket
    /// after its last read: lost to the stack once, as on any link, and retransmitted by the peer.
    /// </summary>
    private void MoveTowardsRing(bool socketEmpty)
    {
        switch (_switch)
        {
            case RingSwitch.Socket when Counters.BytesReceived >= RingAfterBytes:
                _openRing!.Set();
                _switch = RingSwitch.Opening;
                break;
            case RingSwitch.Opening when _ringOpened:
                if (_openedRing is not { } opened)
                {
                    _switch = RingSwitch.Refused;
                    break;
                }
                _receiver!.StopReceiving();
                // The ring's descriptor tells when to read from now on: it holds every frame the socket still does.
                Descriptor = opened.Capture.Descriptor;
                _switch = RingSwitch.Draining;
                break;
            case RingSwitch.Draining when socketEmpty:
                TakeOverRing(_openedRing!);
                break;
        }
    }

    /// <summary>The opener thread: into the device's namespace, then the ring (its grace period waits here, not on the poll thread).</summary>
    private void OpenRingInNamespace()
    {
        _openRing!.Wait();
        if (_ringNotWanted) return;
        try
        {
            if (Libc.SetNs(_namespace, Libc.CLONE_NEWNET) != 0)
                throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{Name}: setns to the device's namespace: {Libc.Describe(Libc.LastErrno)}");
            var (capture, ring) = OpenRing(Name, Mtu, _options, _offloads, Filter);
            try
            {
                var transmitter = PlainTransmitter(capture.Descriptor);
                Ring = ring;
                _openedRing = new OpenedRing(capture, transmitter, RingCursor.Find(capture.Descriptor, ring));
            }
            catch
            {
                capture.Dispose();
                throw;
            }
        }
        catch (Exception e)
        {
            RingFailure = e;
        }
        _ringOpened = true;
    }

    private void TakeOverRing(OpenedRing opened)
    {
        _duplicatesUpTo = _receiver!.LatestStamp;
        _socketKernelDrops = Counters.KernelDrops;
        _capture = opened.Capture;
        _pcap = opened.Capture.Pcap;
        _cursor = opened.Cursor;
        _receiver.Dispose();
        _receiver = null;
        _switch = RingSwitch.Ring;
        // Frames leave through the ring's socket from now on, as with the ring alone (the GSO socket, once open, stays).
        if (_sendSocket < 0)
        {
            opened.Transmitter.Follow(Transmitter);
            Transmitter = opened.Transmitter;
        }
    }

    /// <summary>Receives from libpcap's ring: pcap_dispatch with the unmanaged callback (see the remarks).</summary>
    private int Dispatch<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        // libpcap calls back through native code, which cannot carry a generic ref: the handler is copied to this
        // frame's stack (which does not move) and copied back, so its state changes survive as with a direct call.
        var handlerCopy = handler;
        var batch = new DispatchBatch(Unsafe.AsPointer(ref handlerCopy), &DeliverTo<THandler>, _pcap, _duplicatesUpTo);
        int result;
        try
        {
            result = LibPcap.Dispatch(_pcap, maxFrames, &OnPacket, (byte*)Unsafe.AsPointer(ref batch));
        }
        finally
        {
            handler = handlerCopy;
        }
        if (batch.LastFrame is not null) _cursor?.Passed(batch.LastFrame);
        Counters.ReceiveCalls++;
        Counters.FramesReceived += batch.Delivered;
        Counters.BytesReceived += batch.Bytes;
        Counters.Oversize += batch.Truncated;
        Counters.SwitchDuplicates += batch.Duplicates;
        if (batch.Failure is not null) batch.Failure.Throw();
        // The ring drained once after the move: every frame the socket also took is behind us.
        if (result >= 0 && result < maxFrames) _duplicatesUpTo = 0;
        if (result < 0)
            throw new DeviceUnavailableException(DeviceUnavailableReason.InterfaceGone, $"{Name}: receive failed: {LibPcap.LastErrorText(_pcap)}");
        if (batch.Clock.MonotonicNow >= _kernelStatsDueAt) RefreshKernelStats(batch.Clock.MonotonicNow);
        return batch.Delivered;
    }

    private protected override void Close()
    {
        _cursor = null; // it reads libpcap's mapping, which goes with the handle
        // A ring still being set up is waited for (its thread is in its grace period, a few ms) and closed with the rest.
        if (_ringOpener is { } opener)
        {
            if (_switch == RingSwitch.Socket) _ringNotWanted = true;
            _openRing!.Set();
            opener.Join();
            _openRing.Dispose();
            _capture ??= _openedRing?.Capture;
        }
        // Each packet socket's close waits for an RCU grace period (a ring's for two). With more than one to close, all but
        // the last close on threads of their own at once: the waits overlap instead of adding up.
        _receiver?.Dispose();
        var closes = new List<Action>(3);
        int sendSocket = _sendSocket, socket = _socket;
        if (sendSocket >= 0) closes.Add(() => Libc.Close(sendSocket));
        if (socket >= 0) closes.Add(() => Libc.Close(socket));
        if (_capture is { } capture) closes.Add(capture.Dispose);
        var others = closes.SkipLast(1).Select(Task.Run).ToArray();
        if (closes.Count > 0) closes[^1]();
        Task.WaitAll(others);
        if (_namespace >= 0) Libc.Close(_namespace);
    }

    private static void BypassQdisc(int descriptor, string name) =>
        PacketSocket.SetOption(descriptor, Libc.SOL_PACKET, Libc.PACKET_QDISC_BYPASS, 1, name, "PACKET_QDISC_BYPASS");

    public override string ToString() => $"pcap:{Name} ({MacAddress}, MTU {Mtu}, {(_receiver is null ? "ring" : "socket")})";

    private void RefreshKernelStats(Instant now)
    {
        LibPcap.Statistics statistics;
        if (LibPcap.Stats(_pcap, &statistics) == 0) Counters.KernelDrops = _socketKernelDrops + statistics.Dropped;
        _kernelStatsDueAt = now + KernelStatsInterval;
    }

    private static void DeliverTo<THandler>(void* handler, ReadOnlySpan<byte> frame, Instant deliveredAt)
        where THandler : struct, IFrameReceiver =>
        Unsafe.AsRef<THandler>(handler).OnFrame(frame, deliveredAt);

    [UnmanagedCallersOnly]
    private static void OnPacket(byte* user, LibPcap.PacketHeader* header, byte* data)
    {
        ref var batch = ref Unsafe.AsRef<DispatchBatch>(user);
        batch.LastFrame = data;
        // A frame cut by the snapshot length or the ring slot is useless to the stack (IP total length > bytes).
        if (header->CaptureLength < header->WireLength)
        {
            batch.Truncated++;
            return;
        }
        long stamp = DispatchBatch.StampOf(header);
        if (stamp <= batch.DuplicatesUpTo)
        {
            batch.Duplicates++;
            return;
        }
        int length = (int)header->CaptureLength;
        try
        {
            batch.Deliver(batch.Handler, new ReadOnlySpan<byte>(data, length), batch.Clock.ArrivalOf(stamp));
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
    private struct DispatchBatch(void* handler, delegate*<void*, ReadOnlySpan<byte>, Instant, void> deliver, nint pcap, long duplicatesUpTo)
    {
        public readonly void* Handler = handler;
        public readonly delegate*<void*, ReadOnlySpan<byte>, Instant, void> Deliver = deliver;
        public readonly nint Pcap = pcap;
        public readonly CaptureClock Clock = CaptureClock.Read();
        /// <summary>Frames stamped at or before this (0: none) were delivered by the socket before the ring took over.</summary>
        public readonly long DuplicatesUpTo = duplicatesUpTo;
        public int Delivered;
        public long Bytes;
        public long Truncated;
        public long Duplicates;
        public ExceptionDispatchInfo? Failure;
        /// <summary>The last frame libpcap handed over, kept or not: it lies in the ring slot read last.</summary>
        public byte* LastFrame;

        public static long StampOf(LibPcap.PacketHeader* header) => header->Seconds * 1_000_000_000 + header->Fraction;
    }
}
