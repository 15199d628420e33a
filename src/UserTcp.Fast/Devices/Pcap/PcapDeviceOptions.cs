using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>How to open a <see cref="PcapDevice"/>.</summary>
public sealed record PcapDeviceOptions
{
    /// <summary>4 MiB: <see cref="Tcp.TcpConfig.ReceiveBufferSize"/>'s default, the largest window the stack advertises.</summary>
    public const int DefaultReceiveWindowBytes = 4 << 20;
    /// <summary>libpcap's own maximum. On Ethernet libpcap sizes ring slots to min(snaplen, max(MTU, 65535 when
    /// offloads are on) + 18), so anything at or above 65553 lets whole 64 KiB GSO frames through.</summary>
    public const int DefaultSnapshotLength = 262_144;
    public const int DefaultSendQueueCapacity = 256;
    /// <summary>64 frames per sendmmsg(2): see <see cref="SendBatchFrames"/>.</summary>
    public const int DefaultSendBatchFrames = 64;

    /// <summary>The interface to open, in this process's network namespace.</summary>
    public required string InterfaceName { get; init; }

    /// <summary>The stack's IPv4 address: the capture filter keeps ARP for it and IPv4 to it or to 255.255.255.255; 0.0.0.0 (DHCP) keeps every ARP packet and IPv4 to the interface's MAC.</summary>
    public required Ipv4Address StackAddress { get; init; }

    /// <summary>How frames come from the kernel: a packet socket of the device's own read with recvmmsg(2), libpcap's ring, or
    /// (the default) the socket until a transfer is worth the ring (see <see cref="PcapReceivePath"/>).</summary>
    public PcapReceivePath ReceivePath { get; init; }

    /// <summary>
    /// For the socket, its receive buffer (SO_RCVBUF; null: four receive windows, see <see cref="PcapDevice"/>); for the
    /// ring, the buffer size asked of libpcap for the kernel's capture ring (pcap_set_buffer_size); null (the default) sizes it
    /// from <see cref="ReceiveWindowBytes"/>. Immediate mode uses TPACKET_V2, whose slots have a fixed size: about MTU + 100
    /// bytes with offloads off (two slots per 4 KiB page), about 64 KiB with TSO, GSO, GRO or LRO on (each in a 128 KiB
    /// block of its own, so the ring is about twice this). The whole ring is resident from the start.
    /// </summary>
    /// <remarks>
    /// By default the ring holds one and a half times the frames a full <see cref="ReceiveWindowBytes"/> window takes in the
    /// largest packets the interface delivers (MTU, or 64 KiB with offloads), at least 64 (<see cref="CaptureRing"/>): for a
    /// 4 MiB window and MTU 1500, 4,196 frames in an 8.2 MiB ring with offloads off, 98 frames in a 12.25 MiB ring with
    /// offloads on (a fixed 32 MiB buffer made rings of 41 and 64 MiB). A peer cannot send more than the window beyond what
    /// the stack acknowledged, and the stack acknowledges only what it took out of the ring, so full-sized segments never
    /// fill it; many smaller segments (a sender segmenting below the MSS, short GSO frames) while the poll thread is kept off
    /// the CPU can. What does not fit is dropped by the kernel, counted in <see cref="DeviceStats.KernelDrops"/> (pcap_stats'
    /// ps_drop), and recovered by the peer's retransmission like any loss. Measured on the lab's veth (`usertcp get` of 1 GiB
    /// into /dev/null, 5 alternating pairs per offload setting against the fixed 32 MiB, a busy 2-core machine): peak RSS 65 to
    /// 32 MiB with offloads off and 88 to 36 MiB on, throughput per pair ×1.18 and ×1.08 (medians; 0.70–1.54 in all, this
    /// machine's noise), no kernel drops or retransmissions in any run, nor with rings of one window (2,797 and 70 frames).
    /// </remarks>
    public int? KernelBufferBytes { get; init; }

    /// <summary>
    /// The largest receive window of the stack's connections (<see cref="Tcp.TcpConfig.ReceiveBufferSize"/>): what the
    /// default capture ring is sized for (<see cref="KernelBufferBytes"/>).
    /// </summary>
    public int ReceiveWindowBytes { get; init; } = DefaultReceiveWindowBytes;

    public int SnapshotLength { get; init; } = DefaultSnapshotLength;

    /// <summary>Frames kept for a retry when the kernel refuses a send for the moment (EAGAIN/ENOBUFS), and for a batch.</summary>
    public int SendQueueCapacity { get; init; } = DefaultSendQueueCapacity;

    /// <summary>
    /// Most frames handed to the kernel in one sendmmsg(2) (at most <see cref="SendQueueCapacity"/>): the frames a poll-loop
    /// turn makes wait in pooled pinned buffers until the loop flushes (after a batch's ACKs, at the end of the turn) or
    /// this many are waiting. 1 sends each frame at once with its own write(2), as pcap_inject does.
    /// </summary>
    public int SendBatchFrames { get; init; } = DefaultSendBatchFrames;

    /// <summary>
    /// PACKET_QDISC_BYPASS on the packet socket: frames go straight to the driver, past the interface's queueing discipline
    /// (and past its shaping or accounting: do not set it on a link whose qdisc matters). Measured on the lab's veth (noqueue),
    /// 1 GiB uploads with batched sends: ×0.97 (0.89–1.07) the throughput without it, so it is off by default.
    /// </summary>
    public bool QdiscBypass { get; init; }

    /// <summary>
    /// Generic segmentation offload on send (on by default): TCP data leaves in segments of up to 64 KiB that the kernel cuts
    /// at the MSS, through a send-only packet socket with PACKET_VNET_HDR beside libpcap's (see <see cref="PcapDevice"/>).
    /// Off: every frame is at most the MTU and goes out on libpcap's socket.
    /// </summary>
    public bool SegmentationOffload { get; init; } = true;
}
