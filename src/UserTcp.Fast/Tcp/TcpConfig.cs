using UserTcp.Fast.Tcp.Congestion;

namespace UserTcp.Fast.Tcp;

/// <summary>Per-connection settings. Defaults suit a fast local or long path; every one is a knob.</summary>
public sealed record TcpConfig
{
    /// <summary>MSS we advertise and never exceed (RFC 9293 §3.7.1): 1460 for a 1500-byte IPv4 MTU.</summary>
    public int MaxSegmentSize { get; init; } = 1460;
    /// <summary>
    /// The most a connection's receive space may grow to (Linux tcp_rmem[2]); the window scale is chosen for it at SYN
    /// time (RFC 7323 §2.3). The space starts at <see cref="InitialReceiveBufferSize"/> and grows with what the
    /// application reads per round trip (Linux tcp_rcv_space_adjust). Memory is taken in 16 KiB chunks as bytes arrive
    /// and given back as they are read: a connection holds what it has buffered, not this.
    /// </summary>
    public int ReceiveBufferSize { get; init; } = 4 << 20;
    /// <summary>The receive space a connection starts with (Linux tcp_rmem[1], 128 KiB): its first window, at most
    /// <see cref="ReceiveBufferSize"/>.</summary>
    public int InitialReceiveBufferSize { get; init; } = 128 << 10;
    /// <summary>
    /// The most the application may queue on a connection (Linux tcp_wmem[2]): the room it is offered starts at
    /// <see cref="InitialSendBufferSize"/> and grows to about twice the congestion window (Linux tcp_sndbuf_expand). Memory
    /// is what is queued and not yet acknowledged, in 16 KiB chunks.
    /// </summary>
    public int SendBufferSize { get; init; } = 4 << 20;
    /// <summary>The room the application has to queue data on a new connection (Linux tcp_wmem[1] is 16 KiB, expanded at
    /// once to twice the initial window), at most <see cref="SendBufferSize"/>.</summary>
    public int InitialSendBufferSize { get; init; } = 64 << 10;
    public bool WindowScaling { get; init; } = true;
    public bool Timestamps { get; init; } = true;
    public bool SelectiveAcknowledgments { get; init; } = true;

    public AckPolicy AckPolicy { get; init; } = AckPolicy.Cumulative;
    /// <summary>An ACK is due once more than this many minus one segments are unacknowledged, counted in bytes against
    /// the sender's segment size as measured from what arrives (RFC 1122 §4.2.3.2, Linux __tcp_ack_snd_check: 2).</summary>
    public int AckEverySegments { get; init; } = 2;
    /// <summary>
    /// Cumulative policy: once a batch has brought this many data segments without an ACK, the ACK leaves at once, in the
    /// middle of the batch, instead of at its end. It bounds the stretch of one ACK (RFC 2525 §2.13) and how long the first
    /// segments of a long batch wait for theirs. Segments as they arrive: a GSO super-frame is one, so a batch of them is
    /// still ACKed once (measured: an ACK per 64 KiB super-frame cost a quarter of the throughput with offloads on).
    /// </summary>
    // 1 GiB from the lab's nginx, offloads off, 4 alternating rounds (median Gbit/s; pure ACKs; server retransmissions):
    // 2: 2.27, 371k, 0-7; 4: 2.92, 190k, 0-45; 8: 3.27, 111k, 0; 16: 3.43, 48-85k, 0-1; 32: 3.51, 41-84k, 0-4. The
    // server's cwnd (ss, 1 and 2 s in) was 180-400 segments for every value. Batches rarely bring more than 16 segments,
    // so 32 changes little; below 16 the extra ACKs cost throughput and bought the sender nothing.
    public int MaxSegmentsPerAck { get; init; } = 16;
    /// <summary>Delayed-ACK timer (RFC 9293 §3.8.6.3: under 0.5 s; Linux uses 40 ms).</summary>
    public TimeSpan DelayedAckTimeout { get; init; } = TimeSpan.FromMilliseconds(40);
    /// <summary>Data segments ACKed immediately at the start of a connection, so the peer's slow start is not held back.</summary>
    public int QuickAckSegments { get; init; } = 16;

    /// <summary>Disables Nagle's algorithm (RFC 9293 §3.7.4).</summary>
    public bool NoDelay { get; init; }
    public CongestionAlgorithm CongestionControl { get; init; } = CongestionAlgorithm.Cubic;
    /// <summary>
    /// Slow start's byte-counting limit L per ACK, in segments (RFC 3465 §2.3 caps it at 2). Null counts every
    /// acknowledged byte, as Linux does: a receiver that ACKs once per receive batch (like ours, which ACKs at the end of
    /// a batch and every <see cref="MaxSegmentsPerAck"/> segments within it) sends stretch ACKs, and L = 2 would then grow
    /// cwnd by two segments per ACK instead of per two segments.
    /// </summary>
    public int? SlowStartAckLimitSegments { get; init; }
    /// <summary>Initial window in segments (RFC 6928: 10).</summary>
    public int InitialWindowSegments { get; init; } = 10;
    /// <summary>Duplicate ACKs (or SACKed segments) that signal loss (RFC 5681 §3.2, RFC 6675 DupThresh).</summary>
    public int DuplicateAckThreshold { get; init; } = 3;

    /// <summary>RFC 6298 §2.1: 1 s.</summary>
    public TimeSpan InitialRetransmissionTimeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>RFC 6298 §2.4 says 1 s; Linux uses 200 ms, which a fast path needs.</summary>
    public TimeSpan MinRetransmissionTimeout { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>RFC 6298 §2.5: a maximum of at least 60 s may be placed on the backed-off RTO.</summary>
    public TimeSpan MaxRetransmissionTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Consecutive timeouts of the same data (or unanswered probes) before the connection gives up (RFC 9293 §3.8.3 R2).</summary>
    public int MaxRetransmissions { get; init; } = 12;
    /// <summary>
    /// RFC 5482's user timeout (Linux TCP_USER_TIMEOUT): the longest that sent data may stay unacknowledged (counted from
    /// its first retransmission timeout) or a peer's window closed (counted from the first zero-window probe) before the
    /// connection ends with <see cref="TcpError.TimedOut"/>, however often the peer answers the probes; with keepalive on,
    /// also the longest a peer may stay silent once probes go unanswered (counted from the last segment heard, replacing
    /// <see cref="KeepAliveProbes"/>, as Linux's tcp_keepalive_timer). Null (the default)
    /// leaves it to <see cref="MaxRetransmissions"/>, and lets a peer that answers every probe hold the window closed as
    /// long as it likes (RFC 1122 §4.2.2.17).
    /// </summary>
    public TimeSpan? UserTimeout { get; init; }
    /// <summary>SYN retransmissions before an active open gives up.</summary>
    public int MaxSynRetransmissions { get; init; } = 6;

    /// <summary>SYN-ACK retransmissions before a half-open connection is forgotten (Linux tcp_synack_retries: 5, about 63 s
    /// with the 1 s initial timeout doubling).</summary>
    public int MaxSynAckRetransmissions { get; init; } = 5;
    /// <summary>
    /// Half-open connections a listener keeps (its SYN queue; Linux net.ipv4.tcp_max_syn_backlog). Each costs a small
    /// request, not a connection's buffers. Past it a SYN is answered with a SYN cookie (<see cref="SynCookies"/>) or,
    /// without cookies, dropped.
    /// </summary>
    public int MaxSynBacklog { get; init; } = 1024;
    /// <summary>SYN cookies (RFC 4987 §3.6) once a listener's SYN queue is full, as Linux's net.ipv4.tcp_syncookies = 1.</summary>
    public bool SynCookies { get; init; } = true;

    /// <summary>2*MSL (RFC 9293 §3.4.2). Linux holds TIME-WAIT for 60 s.</summary>
    public TimeSpan TimeWaitDuration { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>
    /// Four-tuples the stack keeps in TIME-WAIT at once (read from the stack's own configuration). Past it a connection
    /// closes without TIME-WAIT, as Linux's does past net.ipv4.tcp_max_tw_buckets (131,072 on these 24 GiB machines);
    /// each entry keeps about 100 bytes. 0 turns TIME-WAIT off.
    /// </summary>
    public int MaxTimeWaitEntries { get; init; } = 131_072;
    /// <summary>
    /// How long FIN-WAIT-2 waits for the peer's FIN once the application is gone (its <see cref="Api.TcpStream"/>
    /// disposed); then the connection is forgotten without a segment. After a mere half-close
    /// (<see cref="Api.TcpStream.ShutdownWrite"/>) it waits as long as the peer takes. Linux: tcp_fin_timeout, 60 s.
    /// </summary>
    public TimeSpan FinWait2Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Keepalive idle time (RFC 1122 §4.2.3.6); null turns keepalive off (the default).</summary>
    public TimeSpan? KeepAliveIdle { get; init; }
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(75);
    public int KeepAliveProbes { get; init; } = 9;

    /// <summary>Challenge ACKs a connection may send per second (RFC 5961 §7), with the duplicate ACKs that answer
    /// unacceptable segments without data (Linux tcp_oow_rate_limited): past it they are counted, not sent.</summary>
    public int ChallengeAcksPerSecond { get; init; } = 100;
    /// <summary>
    /// RSTs per second the stack sends for segments that match no connection (closed ports, forgotten or forged
    /// four-tuples), from a token bucket holding a second's worth (read from the stack's own configuration). Past it they
    /// are counted, not sent: a flood of such segments is not reflected one for one. Linux sends them unlimited;
    /// FreeBSD limits them to 200 a second (net.inet.icmp.icmplim).
    /// </summary>
    public int ResetsPerSecond { get; init; } = 1000;

    public void Validate()
    {
        if (MaxSegmentSize is < 64 or > 65495) throw new ArgumentOutOfRangeException(nameof(MaxSegmentSize), "MSS must be 64..65495");
        if (ReceiveBufferSize < 2 * MaxSegmentSize) throw new ArgumentOutOfRangeException(nameof(ReceiveBufferSize), "receive buffer must hold two segments");
        if (SendBufferSize < MaxSegmentSize) throw new ArgumentOutOfRangeException(nameof(SendBufferSize), "send buffer must hold a segment");
        if (InitialReceiveBufferSize < 2 * MaxSegmentSize) throw new ArgumentOutOfRangeException(nameof(InitialReceiveBufferSize), "the initial receive space must hold two segments");
        if (InitialSendBufferSize < MaxSegmentSize) throw new ArgumentOutOfRangeException(nameof(InitialSendBufferSize), "the initial send buffer must hold a segment");
        if (!WindowScaling && ReceiveBufferSize > 65535) throw new ArgumentOutOfRangeException(nameof(ReceiveBufferSize), "without window scaling the receive buffer is at most 65535");
        if (ReceiveBufferSize > (1 << 30)) throw new ArgumentOutOfRangeException(nameof(ReceiveBufferSize), "at most 1 GiB (RFC 7323 §2.3)");
        if (AckEverySegments < 1) throw new ArgumentOutOfRangeException(nameof(AckEverySegments));
        if (MaxSegmentsPerAck < AckEverySegments) throw new ArgumentOutOfRangeException(nameof(MaxSegmentsPerAck), "at least AckEverySegments");
        if (DuplicateAckThreshold < 1) throw new ArgumentOutOfRangeException(nameof(DuplicateAckThreshold));
        if (MinRetransmissionTimeout <= TimeSpan.Zero || MinRetransmissionTimeout > MaxRetransmissionTimeout)
            throw new ArgumentOutOfRangeException(nameof(MinRetransmissionTimeout));
        if (MaxTimeWaitEntries < 0) throw new ArgumentOutOfRangeException(nameof(MaxTimeWaitEntries));
        if (FinWait2Timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(FinWait2Timeout));
        if (MaxSynAckRetransmissions < 0) throw new ArgumentOutOfRangeException(nameof(MaxSynAckRetransmissions));
        if (MaxSynBacklog < 1) throw new ArgumentOutOfRangeException(nameof(MaxSynBacklog));
        if (MaxRetransmissions < 1 || MaxSynRetransmissions < 1) throw new ArgumentOutOfRangeException(nameof(MaxRetransmissions));
        if (UserTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(UserTimeout));
        if (ChallengeAcksPerSecond < 1) throw new ArgumentOutOfRangeException(nameof(ChallengeAcksPerSecond));
        if (ResetsPerSecond < 1 || ResetsPerSecond > 1_000_000_000) throw new ArgumentOutOfRangeException(nameof(ResetsPerSecond));
    }
}
