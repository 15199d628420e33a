namespace UserTcp.Fast.Interface;

/// <summary>
/// An output whose device segments large TCP/IPv4 frames itself (GSO): the interface then lets the TCP layer write segments
/// of several MSS (<see cref="Tcp.TcpStack.OffloadSegmentBytes"/>) and hands each over whole.
/// </summary>
internal interface ISegmentingFrameOutput : IFrameOutput
{
    /// <summary>The largest frame (Ethernet header included) <see cref="TransmitSegmented"/> takes; 0 when the device cannot segment.</summary>
    int MaxSegmentedFrameBytes { get; }

    /// <summary>Sends a TCP/IPv4 frame longer than the MTU whose TCP checksum holds the pseudo-header sum of the whole
    /// segment; the device cuts it into segments of <paramref name="segmentSize"/> payload bytes. The span is only valid
    /// during the call.</summary>
    void TransmitSegmented(ReadOnlySpan<byte> frame, int segmentSize);
}
