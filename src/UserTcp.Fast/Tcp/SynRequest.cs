using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// A half-open connection in a listener's SYN queue (Linux's request_sock, tcp_request_sock): what the SYN offered and
/// what our SYN-ACK said, no buffers (160 bytes allocated with its timer handle, against about 7.9 KB for a connection). The handshake's ACK turns it into a <see cref="TcpConnection"/>
/// (Linux tcp_check_req → syn_recv_sock); a SYN cookie's ACK rebuilds one from the cookie. Until then the stack
/// retransmits its SYN-ACK (Linux reqsk_timer_handler) and forgets it after <see cref="TcpConfig.MaxSynAckRetransmissions"/>.
/// </summary>
internal sealed class SynRequest
{
    public SynRequest(TcpListener listener, TcpFourTuple tuple, SeqNum iss, SeqNum irs, uint timestampOffset)
    {
        Listener = listener;
        Tuple = tuple;
        Iss = iss;
        Irs = irs;
        TimestampOffset = timestampOffset;
        TimerHandle = new TimerWheel<SynRequest>.Handle(this);
    }

    public TcpListener Listener { get; }
    public TcpFourTuple Tuple { get; }
    public SeqNum Iss { get; }
    public SeqNum Irs { get; }
    public uint TimestampOffset { get; }
    /// <summary>The peer's MSS option, if it sent one.</summary>
    public ushort? PeerMss { get; init; }
    /// <summary>The peer's window scale when both sides use window scaling, else null.</summary>
    public byte? PeerWindowScale { get; init; }
    /// <summary>Both sides use SACK.</summary>
    public bool SackPermitted { get; init; }
    /// <summary>Both sides use timestamps.</summary>
    public bool Timestamps { get; init; }
    /// <summary>The peer's window in its SYN (never scaled, RFC 7323 §2.2).</summary>
    public ushort PeerWindow { get; init; }
    /// <summary>The timestamp to echo (RFC 7323 §4.3).</summary>
    public uint TsRecent { get; set; }
    public int Retransmissions { get; set; }
    /// <summary>When the first SYN-ACK left (an RTT sample when the ACK answers it and it was never retransmitted); never
    /// for a request rebuilt from a cookie.</summary>
    public Instant FirstSentAt { get; set; } = Instant.Never;
    internal TimerWheel<SynRequest>.Handle TimerHandle { get; }

    /// <summary>The SYN's options as the connection negotiates them (<see cref="TcpConnection"/>.NegotiateOptions).</summary>
    public TcpOptions PeerOptions() => new()
    {
        MaximumSegmentSize = PeerMss,
        WindowScale = PeerWindowScale,
        SackPermitted = SackPermitted,
        Timestamps = Timestamps ? new TcpTimestamps(TsRecent, 0) : null,
    };

    /// <summary>Our SYN-ACK at <paramref name="now"/>, with the options negotiated from the SYN.</summary>
    public SynAckSegment SynAck(Instant now) => new(Tuple, Iss, Irs + 1, TcpConnection.SynWindow(Listener.Config), (ushort)Listener.Config.MaxSegmentSize,
        PeerWindowScale is null ? null : TcpConnection.ReceiveWindowShift(Listener.Config), SackPermitted,
        Timestamps ? new TcpTimestamps(TcpConnection.TimestampAt(now, TimestampOffset), TsRecent) : null);
}
