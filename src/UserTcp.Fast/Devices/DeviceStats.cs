namespace UserTcp.Fast.Devices;

/// <summary>
/// A device's counters at one moment (<see cref="INetworkDevice.Stats"/>): a copy, which the device never changes after
/// handing it out. The library's devices keep live counters that only the poll-loop thread writes; every read of
/// <see cref="INetworkDevice.Stats"/> copies them on the reader's thread, without stopping the poll thread. In a 64-bit
/// process each counter is read once and whole, so every value is one the counter really had, and counters only grow, so
/// a later snapshot never shows less than an earlier one. The counters are not all read at one instant: a receive batch
/// may be counted in one and not yet in another.
/// </summary>
public readonly record struct DeviceStats
{
    public long FramesReceived { get; init; }
    public long BytesReceived { get; init; }
    public long FramesSent { get; init; }
    public long BytesSent { get; init; }
    /// <summary>Sends the device could not take at once (EAGAIN/ENOBUFS); the frame stayed queued for a retry.</summary>
    public long SendsDeferred { get; init; }
    /// <summary>Frames given up on after the retry queue was full, or refused by the kernel for good.</summary>
    public long SendsDropped { get; init; }
    /// <summary>Frames the kernel dropped before the device read them (pcap's ps_drop), as last reported.</summary>
    public long KernelDrops { get; init; }
    /// <summary>Frames larger than the device buffer, cut or refused.</summary>
    public long Oversize { get; init; }
    /// <summary>System calls made to receive (to report system calls per frame).</summary>
    public long ReceiveCalls { get; init; }
    /// <summary>System calls made to send (one write(2) per frame, or one sendmmsg(2) per batch), retries included:
    /// <see cref="FramesSent"/> / <see cref="SendCalls"/> is the batching.</summary>
    public long SendCalls { get; init; }
    /// <summary>Frames a pcap device received twice while it moved from its socket to libpcap's ring (both listening for a
    /// moment), delivered once: the ring's copies skipped.</summary>
    public long SwitchDuplicates { get; init; }
    /// <summary>Of <see cref="FramesSent"/>, the frames the kernel was asked to segment (GSO, each up to 64 KiB).</summary>
    public long SegmentedFramesSent { get; init; }
}
