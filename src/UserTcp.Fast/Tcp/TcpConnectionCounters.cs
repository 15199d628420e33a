namespace UserTcp.Fast.Tcp;

/// <summary>
/// Live counters of one connection, or totals of several. Plain fields, because only the stack's thread writes them and
/// the per-segment path must not pay for synchronisation; other threads see them only through <see cref="Snapshot"/>.
/// </summary>
internal sealed class TcpConnectionCounters
{
    public long SegmentsReceived;
    public long SegmentsSent;
    public long BytesReceived;
    public long BytesReadDirectly;
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
    /// <summary>Challenge ACKs and answers to unacceptable segments without data not sent: the per-second budget was spent.</summary>
    public long AnswersRateLimited;
    public long ZeroWindowProbes;
    public long ZeroWindowsAdvertised;
    public long KeepAlivesSent;
    public long UnacceptableSegments;
    public long PawsRejected;
    public long ReassemblyRefused;
    /// <summary>RSTs sent because the application went away with data unread or data came after (RFC 1122 §4.2.2.13).</summary>
    public long ResetsForUnreadData;
    /// <summary>ACKs the delayed-ACK timer sent: data waited the whole <see cref="TcpConfig.DelayedAckTimeout"/> for them.</summary>
    public long DelayedAckTimeouts;
    /// <summary>Segments sent whose first SACK block reported duplicate data (D-SACK, RFC 2883).</summary>
    public long DuplicateSacksSent;

    /// <summary>Adds every counter of <paramref name="other"/> to this one.</summary>
    public void Add(TcpConnectionCounters other)
    {
        SegmentsReceived += other.SegmentsReceived;
        SegmentsSent += other.SegmentsSent;
        BytesReceived += other.BytesReceived;
        BytesReadDirectly += other.BytesReadDirectly;
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
        AnswersRateLimited += other.AnswersRateLimited;
        ZeroWindowProbes += other.ZeroWindowProbes;
        ZeroWindowsAdvertised += other.ZeroWindowsAdvertised;
        KeepAlivesSent += other.KeepAlivesSent;
        UnacceptableSegments += other.UnacceptableSegments;
        PawsRejected += other.PawsRejected;
        ReassemblyRefused += other.ReassemblyRefused;
        ResetsForUnreadData += other.ResetsForUnreadData;
        DelayedAckTimeouts += other.DelayedAckTimeouts;
        DuplicateSacksSent += other.DuplicateSacksSent;
    }

    /// <summary>Each counter read once (what <see cref="TcpConnectionStats"/> promises a reader on another thread).</summary>
    public TcpConnectionStats Snapshot() => new()
    {
        SegmentsReceived = SegmentsReceived,
        SegmentsSent = SegmentsSent,
        BytesReceived = BytesReceived,
        BytesReadDirectly = BytesReadDirectly,
        BytesSent = BytesSent,
        PureAcksSent = PureAcksSent,
        DataSegmentsReceived = DataSegmentsReceived,
        OutOfOrderSegments = OutOfOrderSegments,
        DuplicateSegments = DuplicateSegments,
        Retransmissions = Retransmissions,
        FastRetransmits = FastRetransmits,
        RetransmissionTimeouts = RetransmissionTimeouts,
        DuplicateAcksReceived = DuplicateAcksReceived,
        ChallengeAcksSent = ChallengeAcksSent,
        AnswersRateLimited = AnswersRateLimited,
        ZeroWindowProbes = ZeroWindowProbes,
        ZeroWindowsAdvertised = ZeroWindowsAdvertised,
        KeepAlivesSent = KeepAlivesSent,
        UnacceptableSegments = UnacceptableSegments,
        PawsRejected = PawsRejected,
        ReassemblyRefused = ReassemblyRefused,
        ResetsForUnreadData = ResetsForUnreadData,
        DelayedAckTimeouts = DelayedAckTimeouts,
        DuplicateSacksSent = DuplicateSacksSent,
    };
}
