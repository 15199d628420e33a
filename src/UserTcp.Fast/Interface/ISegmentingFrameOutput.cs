namespace UserTcp.Fast.Interface;

/// <summary>
/// An output whose device segments large TCP/IPv4 frames itself (GSO): the interface then lets the TCP layer write segments
/// of several MSS (<see cref="Tcp.TcpStack.OffloadSegmentBytes"/>) and hands each over whole.
/// </summary>
internal interface ISegmentingFrameOutput : IFrameOutput
{
    /// <summary>The largest frame (Ethernet header included) <see cref="TransmitSegmented"/> takes; 0 when the device cannot
    /// segment. It can fall to 0 during a <see cref="TransmitSegmented"/> call, when the device finds it cannot segment after
    /// all (that frame is then dropped): the interface reads it after each such call and goes back to MSS-sized frames.</summary>
    int MaxSegmentedFrameBytes { get; }

    /// <summary>Sends a TCP/IPv4 frame longer than the MTU whose TCP checksum holds the pseudo-header sum of the whole
    /// segment; the device cuts it into segments of <paramref name="segmentSize"/> payload bytes. The span is only valid
    /// during the call.</summary>
    void TransmitSegmented(ReadOnlySpan<byte> frame, int segmentSize);
}
