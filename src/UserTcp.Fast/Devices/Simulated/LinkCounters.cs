namespace UserTcp.Fast.Devices.Simulated;

/// <summary>
/// What happened to the frames sent in one direction of a <see cref="SimulatedLink"/>; a copy, taken by
/// <see cref="SimulatedLink.CountersFrom"/>. Once the link has drained, every frame is accounted for:
/// <c>FramesSent + Duplicated = FramesDelivered + LostRandom + LostBurst + DroppedMalformed + DroppedMtu + DroppedQueue</c>.
/// </summary>
internal record struct LinkCounters
{
    /// <summary>Every call to <see cref="SimulatedLink.Send"/>, whatever became of the frame.</summary>
    public long FramesSent { get; internal set; }
    /// <summary>Frames handed to a receiver, duplicates included.</summary>
    public long FramesDelivered { get; internal set; }
    /// <summary>Frames lost to <see cref="LinkProfile.Loss"/>.</summary>
    public long LostRandom { get; internal set; }
    /// <summary>Frames lost in the bad state of the bursty-loss model (counted here rather than as random loss when both apply).</summary>
    public long LostBurst { get; internal set; }
    /// <summary>Frames too short to hold an Ethernet header (empty included).</summary>
    public long DroppedMalformed { get; internal set; }
    /// <summary>Frames whose payload exceeded <see cref="LinkProfile.Mtu"/>.</summary>
    public long DroppedMtu { get; internal set; }
    /// <summary>Tail drops at the bottleneck queue, and frames dropped because every link buffer was in flight.</summary>
    public long DroppedQueue { get; internal set; }
    /// <summary>Extra copies made by <see cref="LinkProfile.Duplicate"/>.</summary>
    public long Duplicated { get; internal set; }
    /// <summary>Frames held back by <see cref="LinkProfile.ReorderDelay"/>.</summary>
    public long Reordered { get; internal set; }
    /// <summary>Frames with one bit flipped.</summary>
    public long Corrupted { get; internal set; }
    /// <summary>Sum of the lengths of the delivered frames.</summary>
    public long BytesDelivered { get; internal set; }
}
