namespace UserTcp.Fast.Devices;

/// <summary>
/// A device's live counters. Plain fields, because only the poll-loop thread writes them and the per-frame path must not
/// pay for synchronisation; other threads see them only through <see cref="Snapshot"/>.
/// </summary>
internal sealed class DeviceCounters
{
    public long FramesReceived;
    public long BytesReceived;
    public long FramesSent;
    public long BytesSent;
    public long SendsDeferred;
    public long SendsDropped;
    public long KernelDrops;
    public long Oversize;
    public long ReceiveCalls;
    public long SendCalls;
    public long SegmentedFramesSent;
    public long SwitchDuplicates;

    /// <summary>Each counter read once (what <see cref="DeviceStats"/> promises a reader on another thread).</summary>
    public DeviceStats Snapshot() => new()
    {
        FramesReceived = FramesReceived,
        BytesReceived = BytesReceived,
        FramesSent = FramesSent,
        BytesSent = BytesSent,
        SendsDeferred = SendsDeferred,
        SendsDropped = SendsDropped,
        KernelDrops = KernelDrops,
        Oversize = Oversize,
        ReceiveCalls = ReceiveCalls,
        SendCalls = SendCalls,
        SegmentedFramesSent = SegmentedFramesSent,
        SwitchDuplicates = SwitchDuplicates,
    };
}
