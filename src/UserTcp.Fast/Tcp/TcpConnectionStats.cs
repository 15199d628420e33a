namespace UserTcp.Fast.Tcp;

/// <summary>Counters of one connection. Plain fields: only the stack's thread writes them.</summary>
public sealed class TcpConnectionStats
{
    public long SegmentsReceived;
    public long SegmentsSent;
    public long BytesReceived;
    public long BytesSent;
    /// <summary>Segments sent with no payload and no SYN/FIN/RST: pure ACKs, including window updates and duplicate ACKs.</summary>
    public long PureAcksSent;
    public long DataSegmentsReceived;
    public long OutOfOrderSegments;
    public long DuplicateSegments;
    public long Retransmissions;
    public long FastRetransmits;
    public long RetransmissionTimeouts;
    public long DuplicateAcksReceived;
    public long ChallengeAcksSent;
    public long ZeroWindowProbes;
    public long KeepAlivesSent;
    public long UnacceptableSegments;
    public long PawsRejected;
    public long ReassemblyRefused;
}
