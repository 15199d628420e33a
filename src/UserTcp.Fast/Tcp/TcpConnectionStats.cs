namespace UserTcp.Fast.Tcp;

/// <summary>
/// A connection's counters at one moment (<see cref="Api.TcpStream.Stats"/>): a copy, which the stack never changes after
/// handing it out. The poll thread keeps the live counters; every read of <see cref="Api.TcpStream.Stats"/> copies them
/// on the reader's thread, without stopping the poll thread. In a 64-bit process each counter is read once and whole, so
/// every value is one the counter really had, and counters only grow, so a later snapshot never shows less than an
/// earlier one. The counters are not all read at one instant: a segment may be counted in one and not yet in another.
/// </summary>
public readonly record struct TcpConnectionStats
{
    public long SegmentsReceived { get; init; }
    public long SegmentsSent { get; init; }
    public long BytesReceived { get; init; }
    /// <summary>Of <see cref="BytesReceived"/>, those copied from the frame straight into the buffer of a blocking
    /// <see cref="Api.TcpStream.Read(Span{byte})"/> that was waiting on an empty receive buffer: one copy, not two.</summary>
    public long BytesReadDirectly { get; init; }
    public long BytesSent { get; init; }
    /// <summary>Segments sent with no payload and no SYN/FIN/RST: pure ACKs, including window updates and duplicate ACKs.</summary>
    public long PureAcksSent { get; init; }
    public long DataSegmentsReceived { get; init; }
    public long OutOfOrderSegments { get; init; }
    public long DuplicateSegments { get; init; }
    public long Retransmissions { get; init; }
    public long FastRetransmits { get; init; }
    public long RetransmissionTimeouts { get; init; }
    public long DuplicateAcksReceived { get; init; }
    public long ChallengeAcksSent { get; init; }
    /// <summary>Challenge ACKs and answers to unacceptable segments without data not sent because the connection's budget
    /// (<see cref="TcpConfig.ChallengeAcksPerSecond"/>) was spent: a flood of forged or looping segments.</summary>
    public long AnswersRateLimited { get; init; }
    public long ZeroWindowProbes { get; init; }
    public long ZeroWindowsAdvertised { get; init; }
    public long KeepAlivesSent { get; init; }
    public long UnacceptableSegments { get; init; }
    public long PawsRejected { get; init; }
    public long ReassemblyRefused { get; init; }
    /// <summary>RSTs sent because the application went away with data unread or data came after (RFC 1122 §4.2.2.13).</summary>
    public long ResetsForUnreadData { get; init; }
    /// <summary>ACKs the delayed-ACK timer sent: data waited the whole <see cref="TcpConfig.DelayedAckTimeout"/> for them.</summary>
    public long DelayedAckTimeouts { get; init; }
    /// <summary>Segments sent whose first SACK block reported duplicate data (D-SACK, RFC 2883), so the peer can tell
    /// its retransmissions were spurious.</summary>
    public long DuplicateSacksSent { get; init; }
}
