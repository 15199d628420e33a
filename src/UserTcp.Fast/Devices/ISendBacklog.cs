namespace UserTcp.Fast.Devices;

/// <summary>
/// A device whose sends the kernel can refuse for a while (EAGAIN, ENOBUFS): the frames it keeps for a retry, so that a
/// sleeping poll loop also wakes when its descriptor turns writable instead of at the next timer.
/// </summary>
internal interface ISendBacklog
{
    /// <summary>Frames waiting for a retry (<see cref="FrameTransmitter.Queued"/>).</summary>
    int SendsWaiting { get; }
}
