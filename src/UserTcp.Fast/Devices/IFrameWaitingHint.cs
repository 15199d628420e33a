namespace UserTcp.Fast.Devices;

/// <summary>
/// A device that can tell, without a system call, that a frame already waits to be received: the poll loop then turns
/// again instead of asking poll(2), which would only say the same (see <see cref="Pcap.RingCursor"/>).
/// </summary>
internal interface IFrameWaitingHint
{
    /// <summary>True when a frame is known to wait; false when none is, or the device cannot tell.</summary>
    bool FrameWaiting { get; }
}
