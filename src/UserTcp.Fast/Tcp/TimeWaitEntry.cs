using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// What TIME-WAIT keeps of a connection once its <see cref="TcpConnection"/> is let go, as Linux's tcp_timewait_sock
/// (net/ipv4/tcp_minisocks.c, tcp_time_wait): enough to recognise the peer's segments and answer them with an ACK, and the
/// deadline. The four-tuple is the table's key.
/// </summary>
internal struct TimeWaitEntry
{
    /// <summary>Our SND.NXT: every byte and the FIN we sent are acknowledged, so it is also SND.UNA.</summary>
    public SeqNum SendNext;
    /// <summary>RCV.NXT, past the peer's FIN.</summary>
    public SeqNum ReceiveNext;
    /// <summary>Bytes right of RCV.NXT the last window we offered left open (segment acceptability, the ACK's window).</summary>
    public int ReceiveWindow;
    public byte ReceiveWindowShift;
    public bool Timestamps;
    /// <summary>An ACK for this entry waits in the stack's queue (one per entry and flush).</summary>
    public bool AckQueued;
    /// <summary>RFC 7323 TS.Recent: the peer's last timestamp, for PAWS and RFC 6191's check of a new SYN.</summary>
    public uint TimestampRecent;
    public uint TimestampOffset;
    /// <summary>2*MSL of the connection's configuration: a retransmitted FIN starts it again.</summary>
    public TimeSpan Duration;
    public Instant Deadline;
    /// <summary>Shortest time between two answers (1 s / <see cref="TcpConfig.ChallengeAcksPerSecond"/>), and the last one's
    /// time: Linux's tw_last_oow_ack_time (tcp_timewait_check_oow_rate_limit).</summary>
    public TimeSpan AnswerInterval;
    public Instant LastAnswerAt;
    /// <summary>The deadline this entry's one element in the expiry queue carries (at or before <see cref="Deadline"/>).</summary>
    public Instant QueuedAt;
}
