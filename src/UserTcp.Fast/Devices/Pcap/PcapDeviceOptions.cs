using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>How to open a <see cref="PcapDevice"/>.</summary>
public sealed record PcapDeviceOptions
{
    /// <summary>32 MiB: see <see cref="KernelBufferBytes"/> for how many frames that holds.</summary>
    public const int DefaultKernelBufferBytes = 32 * 1024 * 1024;
    /// <summary>libpcap's own maximum. On Ethernet libpcap sizes ring slots to min(snaplen, max(MTU, 65535 when
    /// offloads are on) + 18), so anything at or above 65553 lets whole 64 KiB GSO frames through.</summary>
    public const int DefaultSnapshotLength = 262_144;
    public const int DefaultSendQueueCapacity = 256;
    /// <summary>64 frames per sendmmsg(2): see <see cref="SendBatchFrames"/>.</summary>
    public const int DefaultSendBatchFrames = 64;

    /// <summary>The interface to open, in this process's network namespace.</summary>
    public required string InterfaceName { get; init; }

    /// <summary>The stack's IPv4 address: the capture filter keeps ARP for it and IPv4 to it or to 255.255.255.255.</summary>
    public required Ipv4Address StackAddress { get; init; }

    /// <summary>
    /// Size of the kernel's capture ring (pcap_set_buffer_size). Immediate mode uses TPACKET_V2, whose slots have a
    /// fixed size: with offloads on each slot is about 64 KiB (room for a GSO frame), so 32 MiB is ~500 frames of any
    /// size; with offloads off a slot is about MTU + 100 bytes (~20,000 frames). Overflows show as
    /// <see cref="DeviceStats.KernelDrops"/>.
    /// </summary>
    public int KernelBufferBytes { get; init; } = DefaultKernelBufferBytes;

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
}
