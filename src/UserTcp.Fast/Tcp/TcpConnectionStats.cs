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
    public long ZeroWindowsAdvertised;
    public long KeepAlivesSent;
    public long UnacceptableSegments;
    public long PawsRejected;
    public long ReassemblyRefused;

    /// <summary>Adds every counter of <paramref name="other"/> to this one.</summary>
    public void Add(TcpConnectionStats other)
    {
        SegmentsReceived += other.SegmentsReceived;
        SegmentsSent += other.SegmentsSent;
        BytesReceived += other.BytesReceived;
        BytesSent += other.BytesSent;
        PureAcksSent += other.PureAcksSent;
        DataSegmentsReceived += other.DataSegmentsReceived;
        OutOfOrderSegments += other.OutOfOrderSegments;
        DuplicateSegments += other.DuplicateSegments;
        Retransmissions += other.Retransmissions;
        FastRetransmits += other.FastRetransmits;
        RetransmissionTimeouts += other.RetransmissionTimeouts;
        DuplicateAcksReceived += other.DuplicateAcksReceived;
        ChallengeAcksSent += other.ChallengeAcksSent;
        ZeroWindowProbes += other.ZeroWindowProbes;
        ZeroWindowsAdvertised += other.ZeroWindowsAdvertised;
        KeepAlivesSent += other.KeepAlivesSent;
        UnacceptableSegments += other.UnacceptableSegments;
        PawsRejected += other.PawsRejected;
        ReassemblyRefused += other.ReassemblyRefused;
    }
}
