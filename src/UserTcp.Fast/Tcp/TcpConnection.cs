using UserTcp.Fast.Buffers;
using UserTcp.Fast.Tcp.Congestion;
using UserTcp.Fast.Tcp.Sack;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// One TCP connection (RFC 9293): a transmission control block and its state machine, sans-IO. Segments and the
/// current time come in through <see cref="TcpStack"/>; segments go out when the stack flushes; deadlines are read
/// from <see cref="NextDeadline"/>. Application calls (<see cref="Send"/>, <see cref="Receive"/>, <see cref="Close"/>,
/// <see cref="Abort"/>) run on the stack's thread too. Split by concern: receive, send, timers.
/// </summary>
internal sealed partial class TcpConnection
{
    private readonly TcpStack _stack;
    private readonly TcpConfig _config;

    // --- send sequence space (RFC 9293 §3.3.1) ---
    private readonly SeqNum _iss;
    private SeqNum _sndUna, _sndNxt, _sndMax, _sndWl1, _sndWl2;
    private long _sndWnd, _maxSndWnd;
    private ChunkedByteBuffer _sendBuffer;   // the application writes into it; Detached once the connection is over
    private SeqNum _ringSeq;                 // sequence number of the send buffer's first byte
    private bool _finQueued;                 // the application closed its side: FIN follows the data
    private bool _orphaned;                  // the application is gone: nobody reads again (Orphan)
    private SeqNum _finSeq;
    private int _peerMss = 536;              // RFC 9293 §3.7.1 default when the peer sends no MSS option
    private int _sendMss;                    // payload per full segment beside the options every segment carries
    private int _segmentBudget;              // TCP header + payload: min(SendMSS, MMS_S) + 20 (RFC 9293 §3.7.1)
    private int _pathSegmentBudget = int.MaxValue; // the same bound from the path MTU ICMP reported (RFC 1191 §3)
    private readonly CongestionControl _congestion;
    private RttEstimator _rtt;
    private bool _timing;                    // Karn: one segment timed at a time, never a retransmitted one
    private SeqNum _timedSeq;
    private Instant _timedAt;
    private int _duplicateAcks;
    private bool _inRecovery;
    private SeqNum _recover;                 // RFC 6582 "recover", held as SND.MAX then (exclusive)
    private SeqNum _highRxt;                 // RFC 6675 HighRxt
    private readonly SeqRangeSet _scoreboard = new();
    private int _retries;
    private Instant _probingSince = Instant.Never;      // first zero-window probe of this closed window (Linux icsk_probes_tstamp)
    private Instant _retransmittingSince = Instant.Never; // first timeout of the data at SND.UNA, for the user timeout

    // --- receive sequence space ---
    private SeqNum _irs, _rcvNxt;
    private ChunkedByteBuffer _receiveBuffer; // the application reads from it; its Limit is the receive space (DRS)
    private long _readSeen;                  // the reader's position as last acted on (window updates, chunks back)
    private int _rcvSpace;                   // Linux rcvq_space.space: bytes the application read in the last measured RTT
    private long _rcvSpaceRead;              // rcvq_space.seq: the read position when that measurement started
    private Instant _rcvSpaceTime = Instant.Never; // rcvq_space.time
    private readonly SeqRangeSet _outOfOrder = new();
    private SeqNum _advertisedRightEdge;
    private bool _peerFinPending;            // a FIN arrived beyond a hole
    private SeqNum _peerFinSeq;
    private bool _peerFinReceived;
    private bool _dsackPending;              // the next segment reports _dsack as its first SACK block (RFC 2883)
    private SeqRange _dsack;

    // --- negotiated options ---
    private bool _windowScaling, _timestamps, _sack;
    private byte _sndWndShift, _rcvWndShift;
    private uint _tsRecent;
    private SeqNum _lastAckSent;
    private readonly uint _tsOffset;

    // --- what the next flush must send ---
    private bool _synPending, _probePending, _keepAlivePending;
    private bool _ackNow;
    private readonly ImmediateAckQueue _immediateAcks = new(); // one ACK per out-of-order, hole-filling or duplicate segment
    private int _segmentsSinceAck; // data segments as they arrived (a super-frame is one): TcpConfig.MaxSegmentsPerAck
    private int _quickAcksLeft;
    private bool _pingPong;        // interactive: our data answers the peer's, and carries the ACKs (Linux pingpong mode)
    private int _receiveMss;       // the sender's segment size as measured from what arrives (Linux icsk_ack.rcv_mss)
    private int _lastShortSegment; // size of the previous segment when it was shorter than _receiveMss (Linux last_seg_size)
    private bool _ackPushed, _ackPushedTwice; // short or pushed data arrived: a reader who drains it gets the ACK at once
    private Instant _lastDataAt = Instant.Never;

    // --- timers (Instant.Never when disarmed) ---
    private Instant _retransmitAt = Instant.Never; // retransmission or, with a zero window, persist
    private Instant _delayedAckAt = Instant.Never;
    private Instant _timeWaitAt = Instant.Never;   // 2*MSL, or an orphaned FIN-WAIT-2's limit: both end quietly
    private Instant _keepAliveAt = Instant.Never;
    private bool _persisting;
    private int _keepAlivesUnanswered;
    private Instant _keepAliveSilentSince; // with probes unanswered: when the peer was last heard (the idle time's start)
    private long _challengeWindowStart;
    private int _challengeAcksInWindow;

    // --- ACK latency: arrival times of data not yet covered by an ACK we sent ---
    private const int LatencySlots = 64;
    private readonly SeqNum[] _arrivalEnd = new SeqNum[LatencySlots];
    private readonly long[] _arrivalAt = new long[LatencySlots];
    private int _arrivalHead, _arrivalCount;

    internal TcpConnection(TcpStack stack, TcpConfig config, TcpFourTuple tuple, SeqNum iss, uint timestampOffset)
    {
        _stack = stack;
        _config = config;
        NoDelay = config.NoDelay;
        Tuple = tuple;
        _iss = iss;
        _sndUna = _sndNxt = _sndMax = iss;
        _ringSeq = iss + 1;
        _recover = iss;
        _highRxt = iss;
        // Both start small and grow with the connection's need up to the configured maxima (tcp_sndbuf_expand,
        // tcp_rcv_space_adjust); neither holds memory beyond the bytes in it.
        _sendBuffer = new ChunkedByteBuffer(stack.Buffers, config.SendBufferSize, config.InitialSendBufferSize);
        _receiveBuffer = new ChunkedByteBuffer(stack.Buffers, config.ReceiveBufferSize, config.InitialReceiveBufferSize);
        _tsOffset = timestampOffset;
        TimerHandle = new TimerWheel<TcpConnection>.Handle(this);
        _rtt = new RttEstimator(config.InitialRetransmissionTimeout, config.MinRetransmissionTimeout, config.MaxRetransmissionTimeout);
        _congestion = CongestionControl.Create(config.CongestionControl, config.MaxSegmentSize, config.InitialWindowSegments, config.SlowStartAckLimitSegments);
        _sendMss = Math.Min(config.MaxSegmentSize, _peerMss);
        _segmentBudget = _sendMss + TcpSegment.MinHeaderLength;
        _quickAcksLeft = config.QuickAckSegments;
        // Linux tcp_initialize_rcv_mss: start from the 536-byte default (RFC 9293 §3.7.1) and learn the sender's size.
        _receiveMss = Math.Min(DefaultReceiveMss, config.MaxSegmentSize);
        // Linux tcp_init_buffer_space: the first measurement counts from an initial window's worth (TCP_INIT_CWND segments).
        _rcvSpace = Math.Min(_receiveBuffer.Limit, config.InitialWindowSegments * config.MaxSegmentSize);
        _rcvWndShift = ReceiveWindowShift(config);
    }

    /// <summary>RFC 7323 §2.2-2.3: the smallest shift that lets the largest buffer it may grow to be advertised (chosen
    /// once, at SYN time; a SYN cookie's connection recomputes it, so it must depend on the configuration alone).</summary>
    internal static byte ReceiveWindowShift(TcpConfig config)
    {
        byte shift = 0;
        while (config.WindowScaling && shift < 14 && (config.ReceiveBufferSize >> shift) > ushort.MaxValue) shift++;
        return shift;
    }

    /// <summary>The window of our SYN or SYN-ACK: the initial receive space, never scaled (RFC 7323 §2.2).</summary>
    internal static ushort SynWindow(TcpConfig config) =>
        (ushort)Math.Min(ushort.MaxValue, Math.Min(config.InitialReceiveBufferSize, config.ReceiveBufferSize));

    internal const int MinimumSendMss = 48;      // Linux TCP_MIN_SND_MSS: the floor under the peer's MSS option
    internal const int DefaultReceiveMss = 536;  // RFC 9293 §3.7.1 default send MSS; Linux TCP_MSS_DEFAULT and TCP_MIN_RCVMSS
    private const int MinimumReceiveMss = 88;   // Linux TCP_MIN_MSS: below this a short segment never lowers the estimate

    public TcpFourTuple Tuple { get; }
    public TcpState State { get; private set; }
    public TcpError Error { get; private set; }
    public TcpConfig Config => _config;
    /// <summary>Nagle's algorithm off (TCP_NODELAY): from <see cref="TcpConfig.NoDelay"/>, changeable while the connection lives.</summary>
    public bool NoDelay { get; set; }
    public TcpConnectionCounters Stats { get; } = new();
    internal TcpListener? Listener { get; set; }
    /// <summary>Told when the engine changes this connection on its own (see <see cref="IConnectionObserver"/>).</summary>
    internal IConnectionObserver? Observer { get; set; }
    internal bool IsDirty { get; set; }
    /// <summary>This connection's place in the stack's timer wheel, at <see cref="NextDeadline"/>.</summary>
    internal TimerWheel<TcpConnection>.Handle TimerHandle { get; }

    /// <summary>Bytes the application can read now.</summary>
    public int BytesAvailable => _receiveBuffer.Count;
    /// <summary>Bytes the application can queue for sending now.</summary>
    public int SendSpace => CanSend ? Math.Max(0, _sendBuffer.Limit - _sendBuffer.Count) : 0;
    /// <summary>Bytes queued and not yet acknowledged.</summary>
    public int BytesUnacknowledged => _sendBuffer.Count;
    /// <summary>The peer sent FIN and every byte before it has been read: reads return 0 from now on.</summary>
    public bool IsReceiveComplete => _peerFinReceived && _receiveBuffer.Count == 0;
    /// <summary>The peer sent FIN and every byte before it is in the receive buffer: once it is read, the stream ends.</summary>
    public bool PeerFinReceived => _peerFinReceived;
    /// <summary>The receive buffer, which the application thread reads directly (<see cref="ChunkedByteBuffer.Read"/>);
    /// the poll thread learns of its reads in <see cref="OnApplicationRead"/>.</summary>
    internal ChunkedByteBuffer ReceiveBuffer => _receiveBuffer;
    /// <summary>The send buffer, which the application thread writes directly (<see cref="ChunkedByteBuffer.TryAppend"/>);
    /// the poll thread learns of its writes in <see cref="OnApplicationWrote"/>.</summary>
    internal ChunkedByteBuffer SendBuffer => _sendBuffer;
    /// <summary>The receive space now (the window's most, grown by <see cref="AdjustReceiveSpace"/>).</summary>
    public int ReceiveSpace => _receiveBuffer.Limit;
    /// <summary>The send buffer's room now (grown by <see cref="ExpandSendBuffer"/>).</summary>
    public int SendBufferLimit => _sendBuffer.Limit;
    /// <summary>Bytes of buffer memory this connection holds now (chunks of its send and receive buffers).</summary>
    public long BufferBytesHeld => (long)(_sendBuffer.ChunksHeld + _receiveBuffer.ChunksHeld) * ChunkPool.ChunkSize;
    public bool IsClosed => State == TcpState.Closed;
    public TimeSpan SmoothedRtt => _rtt.SmoothedRtt;
    /// <summary>The current RTO, backoff included (RFC 6298).</summary>
    public TimeSpan RetransmissionTimeout => _rtt.Timeout;
    public int CongestionWindow => _congestion.Window;
    public int SendMss => _sendMss;
    public long PeerWindow => _sndWnd;
    public bool SackEnabled => _sack;
    public bool TimestampsEnabled => _timestamps;
    public bool WindowScalingEnabled => _windowScaling;

    private bool CanSend => !_finQueued && State is TcpState.Established or TcpState.CloseWait or TcpState.SynSent or TcpState.SynReceived;

    /// <summary>Earliest time <see cref="TcpStack.OnTimers"/> must run for this connection.</summary>
    public Instant NextDeadline =>
        Instant.Min(Instant.Min(_retransmitAt, _delayedAckAt), Instant.Min(_timeWaitAt, _keepAliveAt));

    /// <summary>The state variables as they stand now, for invariant checks (testbed, fuzzing).</summary>
    internal TcpControlBlockView ControlBlock => new(
        State, _sndUna, _sndNxt, _sndMax, _sndWnd, _ringSeq, _finQueued, _rcvNxt, _advertisedRightEdge,
        _sendBuffer.Count, _sendBuffer.Limit, _sendBuffer.Capacity, _receiveBuffer.Count, _receiveBuffer.Limit, _receiveBuffer.Capacity,
        _outOfOrder.RangeCount, _outOfOrder.TotalLength, _scoreboard.RangeCount, _persisting,
        _retransmitAt, _delayedAckAt, _timeWaitAt, _keepAliveAt);

    /// <summary>True when no timer is armed (used by tests: a finished connection leaves nothing behind).</summary>
    public bool HasNoTimers => NextDeadline.IsNever;

    // ---------------------------------------------------------------- application API

    /// <summary>Queues data for sending; returns how much was accepted (less than offered when the send buffer is full: back-pressure).</summary>
    public int Send(ReadOnlySpan<byte> data)
    {
        if (!CanSend) throw new InvalidOperationException($"cannot send in state {State}{(_finQueued ? " after Close" : "")}");
        int accepted = _sendBuffer.TryAppend(data);
        if (accepted > 0) _stack.MarkDirty(this);
        return accepted;
    }

    /// <summary>Poll thread: the application appended to <see cref="SendBuffer"/> itself; there may be data to send.</summary>
    internal void OnApplicationWrote()
    {
        if (CanSend) _stack.MarkDirty(this);
    }

    /// <summary>Copies received in-order data out; returns 0 when nothing is available (see <see cref="IsReceiveComplete"/>).</summary>
    public int Receive(Span<byte> destination)
    {
        int read = _receiveBuffer.Read(destination, out _);
        OnApplicationRead();
        return read;
    }

    /// <summary>
    /// Poll thread: acts on what the application has read since the last call (it reads <see cref="ReceiveBuffer"/> on
    /// its own thread): chunks it has read go back to the pool; a window update or a pushed segment's ACK is requested when
    /// due (Linux tcp_cleanup_rbuf after tcp_recvmsg); once the connection is over and the last byte is read the buffers
    /// go. Then it tells the reader the position at which its next read makes one of those due, so that the read nudges
    /// the poll thread instead of waiting for the next frame or timer.
    /// </summary>
    internal void OnApplicationRead()
    {
        if (_receiveBuffer == ChunkedByteBuffer.Detached) return; // released or given up: nothing to act on
        while (true)
        {
            long read = _receiveBuffer.ReadPosition;
            if (read != _readSeen)
            {
                _readSeen = read;
                _receiveBuffer.Reclaim();
                RequestAckIfReadMadeOneDue();
                if (State is TcpState.Closed or TcpState.TimeWait) ReleaseBuffers(); // the last unread bytes are out
            }
            if (!_receiveBuffer.SetNotifyAt(ReaderWakePosition())) return;
            // Already there: data arrived since the last read and shrank the window we offer (the edge stays while the
            // reader is behind), so a position the reader passed before is due now; or the reader moved meanwhile.
            if (_receiveBuffer.ReadPosition == _readSeen)
            {
                RequestAckIfReadMadeOneDue();
                return;
            }
        }
    }

    /// <summary>A window update or a pushed segment's ACK, when the reading done so far makes one due.</summary>
    private void RequestAckIfReadMadeOneDue()
    {
        if (WindowUpdateWorthSending() || PushedDataDrained()) RequestAck();
    }

    /// <summary>Graceful close of our direction (RFC 9293 §3.10.4): FIN after the queued data; receiving goes on (half-close).</summary>
    public void Close()
    {
        switch (State)
        {
            case TcpState.SynSent:
                Terminate(TcpError.None);
                return;
            case TcpState.SynReceived:
                QueueFin(); // RFC 9293 §3.10.4: the FIN follows the data once ESTABLISHED (ProcessAck enters FIN-WAIT-1 then)
                break;
            case TcpState.Established:
                QueueFin();
                State = TcpState.FinWait1;
                break;
            case TcpState.CloseWait:
                QueueFin();
                State = TcpState.LastAck;
                break;
            default:
                return; // already closing or closed
        }
        _stack.MarkDirty(this);
    }

    /// <summary>
    /// The application is gone (its stream disposed): nobody will read again, as after Linux's close(2) of the socket
    /// (tcp_close, net/ipv4/tcp.c, "orphaned"), unlike after <see cref="Close"/>, a half-close. Unread data in the
    /// receive buffer (the application reads straight from it) is lost: RFC 1122 §4.2.2.13 says the peer learns it by a RST, and Linux's tcp_close sends one and closes at once
    /// ("data was lost"); data arriving later gets the same (ReceiveText's caller). Otherwise the graceful close goes
    /// on (<see cref="Close"/> still queues the FIN), and FIN-WAIT-2 then lasts at most
    /// <see cref="TcpConfig.FinWait2Timeout"/>.
    /// </summary>
    public void Orphan(Instant now)
    {
        if (_orphaned) return;
        _orphaned = true;
        bool unread = _receiveBuffer.Count > 0;
        // Nobody will read it. Its chunks are left to the garbage collector rather than to the next connection: a read
        // racing the stream's Dispose may still be copying out of them.
        if (unread) DetachReceiveBuffer();
        if (State is TcpState.Closed or TcpState.TimeWait)
        {
            ReleaseBuffers(); // the peer already knows the connection is over: nothing to tell it
        }
        else if (unread && State is not (TcpState.SynSent or TcpState.Listen))
        {
            ResetForUnreadData();
        }
        else if (State == TcpState.FinWait2)
        {
            ArmFinWait2Timeout(now);
        }
    }

    /// <summary>Abort (RFC 9293 §3.10.5): a RST to the peer if synchronized, queues dropped, state CLOSED.</summary>
    public void Abort()
    {
        if (State is TcpState.Closed) return;
        if (State is not (TcpState.SynSent or TcpState.Listen or TcpState.TimeWait))
        {
            _stack.QueueReset(Tuple, _sndMax, _rcvNxt, withAck: true); // SND.NXT in RFC terms: the highest sent
        }
        Terminate(TcpError.Aborted);
    }

    internal void FailUnreachable(TcpError error) => Terminate(error);

    /// <summary>RFC 1122 §4.2.2.13: data the application will never read is lost; a RST (SEQ = SND.NXT, ACK = RCV.NXT,
    /// as Linux's tcp_send_active_reset) tells the peer, and the connection is CLOSED.</summary>
    private void ResetForUnreadData()
    {
        Stats.ResetsForUnreadData++;
        Abort();
    }

    /// <summary>
    /// An orphaned connection waits for the peer's FIN at most <see cref="TcpConfig.FinWait2Timeout"/> (RFC 9293 leaves
    /// FIN-WAIT-2 unbounded; a peer that never closes would hold it forever). Linux turns it into a timewait socket in
    /// substate FIN_WAIT2 for tcp_fin_timeout (tcp_close, tcp_rcv_state_process) that, like this, expires without a
    /// segment; its FIN still leads to TIME-WAIT.
    /// </summary>
    private void ArmFinWait2Timeout(Instant now) => _timeWaitAt = now + _config.FinWait2Timeout;

    private void QueueFin()
    {
        _finQueued = true;
        _finSeq = _ringSeq + _sendBuffer.Count;
    }

    /// <summary>Enters CLOSED: timers disarmed, the stack forgets the four-tuple.</summary>
    private void Terminate(TcpError error)
    {
        if (State == TcpState.Closed) return;
        if (Error == TcpError.None) Error = error;
        State = TcpState.Closed;
        _retransmitAt = _delayedAckAt = _timeWaitAt = _keepAliveAt = Instant.Never;
        _synPending = _probePending = _keepAlivePending = _ackNow = false;
        _immediateAcks.Clear();
        _stack.Remove(this);
        ReleaseBuffers();
    }

    /// <summary>
    /// Hands the buffers' chunks back to the stack's pool once nothing can need them: the send buffer's when the
    /// connection has ended or reached TIME-WAIT (everything we sent is acknowledged or abandoned), the receive buffer's
    /// only once the application has read every byte in it (it may still read after the connection ends). A released
    /// buffer is replaced by <see cref="ChunkedByteBuffer.Detached"/>, so this connection can never reach chunks that
    /// belong to another connection. TIME-WAIT then keeps the connection's state and no buffer memory (Linux keeps a
    /// small timewait socket instead).
    /// </summary>
    private void ReleaseBuffers()
    {
        if (_sendBuffer != ChunkedByteBuffer.Detached)
        {
            _sendBuffer.ReleaseWhileProducing(); // the application may be writing into its last chunk this very moment
            _sendBuffer = ChunkedByteBuffer.Detached;
        }
        if (_receiveBuffer.Count > 0 || _receiveBuffer == ChunkedByteBuffer.Detached) return;
        _receiveBuffer.ReleaseAll(); // read to its end: the reader touches no chunk any more
        _receiveBuffer.SetNotifyAt(long.MaxValue);
        _receiveBuffer = ChunkedByteBuffer.Detached;
        _outOfOrder.Clear(); // its bytes were in those chunks (found by fuzzing: FuzzFindingsTests)
    }

    /// <summary>Gives the receive buffer up without handing its chunks to the pool (see <see cref="Orphan"/>).</summary>
    private void DetachReceiveBuffer()
    {
        if (_receiveBuffer == ChunkedByteBuffer.Detached) return;
        for (int i = _receiveBuffer.ChunksHeld; i > 0; i--) _stack.Buffers.Abandon();
        _receiveBuffer = ChunkedByteBuffer.Detached;
    }

    // ---------------------------------------------------------------- opening

    /// <summary>Active open (RFC 9293 §3.10.1): SYN-SENT, SYN queued.</summary>
    internal void OpenActive()
    {
        State = TcpState.SynSent;
        _synPending = true;
    }

    /// <summary>
    /// Passive open (RFC 9293 §3.10.7.2), once the handshake's ACK has come: SYN-RECEIVED as the SYN and our SYN-ACK
    /// left it, with the options the <paramref name="request"/> negotiated; the stack then hands this connection the ACK,
    /// which makes it ESTABLISHED (Linux tcp_check_req creates the child in SYN_RECV, tcp_child_process finishes it).
    /// </summary>
    internal void OpenFromRequest(SynRequest request)
    {
        State = TcpState.SynReceived;
        _irs = request.Irs;
        _rcvNxt = _irs + 1;
        _lastAckSent = _rcvNxt;
        NegotiateOptions(request.PeerOptions(), ourSynHadOptions: true);
        _sndWnd = request.PeerWindow; // RFC 7323 §2.2: the window in a SYN is never scaled
        _maxSndWnd = _sndWnd;
        _sndWl1 = _irs;
        _sndWl2 = _sndUna;
        _sndNxt = _sndMax = _iss + 1; // the SYN-ACK is out
        if (request.Retransmissions == 0 && !request.FirstSentAt.IsNever)
        {
            _timing = true; // Linux tcp_synack_rtt_meas: the ACK of a SYN-ACK sent once is an RTT sample (Karn)
            _timedSeq = _iss;
            _timedAt = request.FirstSentAt;
        }
        _advertisedRightEdge = _rcvNxt + SynWindow(_config);
    }

    /// <summary>RFC 7323 §1.3 / RFC 2018 §2: an option is used only if both SYNs carried it.</summary>
    private void NegotiateOptions(in TcpOptions peer, bool ourSynHadOptions)
    {
        // Linux tcp_parse_options ignores MSS 0; tcp_mtu_to_mss raises anything smaller to TCP_MIN_SND_MSS (48), so that a
        // peer asking for 1-byte segments cannot make us cut the stream into a segment per byte (CVE-2019-11479).
        if (peer.MaximumSegmentSize is { } mss && mss > 0) _peerMss = Math.Max((int)mss, MinimumSendMss);
        _windowScaling = ourSynHadOptions && _config.WindowScaling && peer.WindowScale.HasValue;
        if (_windowScaling)
        {
            _sndWndShift = Math.Min(peer.WindowScale!.Value, (byte)14); // RFC 7323 §2.3: larger shifts are treated as 14
        }
        else
        {
            _sndWndShift = 0;
            _rcvWndShift = 0;
        }
        _timestamps = ourSynHadOptions && _config.Timestamps && peer.Timestamps.HasValue;
        if (_timestamps) _tsRecent = peer.Timestamps!.Value.Value;
        _sack = ourSynHadOptions && _config.SelectiveAcknowledgments && peer.SackPermitted;
        // RFC 9293 §3.7.1 / RFC 6691: payload per segment = min(MSS) minus the options every segment carries.
        _segmentBudget = Math.Min(Math.Min(_config.MaxSegmentSize, _peerMss) + TcpSegment.MinHeaderLength, _pathSegmentBudget);
        _sendMss = _segmentBudget - TcpSegment.MinHeaderLength - (_timestamps ? 12 : 0);
        _congestion.UpdateMaxSegmentSize(_sendMss, _config.InitialWindowSegments);
    }

    /// <summary>Linux ip_rt_min_pmtu: a reported MTU below it (0 from a pre-RFC 1191 router included) counts as this.</summary>
    internal const int MinimumPathMtu = 552;

    /// <summary>
    /// ICMP "fragmentation needed" quoting our segment at <paramref name="quotedSeq"/> with the next hop's MTU (RFC 1191 §3).
    /// False when the quote is not of data in flight, SND.UNA &lt;= seq &lt; SND.MAX (RFC 5927 §4.1; SND.MAX because our SND.NXT
    /// steps back for retransmissions): ignored. Otherwise, when the MTU is below the one the segments are sized for,
    /// <paramref name="lowered"/>: the MSS shrinks to fit it and everything unacknowledged goes again at the new size, with
    /// cwnd and ssthresh untouched, since the router dropped the segments for their size, not for congestion (Linux
    /// tcp_v4_mtu_reduced → tcp_sync_mss, tcp_simple_retransmit).
    /// </summary>
    internal bool OnFragmentationNeeded(SeqNum quotedSeq, int nextHopMtu, out bool lowered)
    {
        lowered = false;
        if (State is TcpState.Closed || quotedSeq < _sndUna || quotedSeq >= _sndMax) return false;
        int budget = Math.Max(nextHopMtu, MinimumPathMtu) - Ipv4Packet.MinHeaderLength;
        if (budget >= _segmentBudget) return true;
        lowered = true;
        _pathSegmentBudget = budget;
        _segmentBudget = budget;
        _sendMss = budget - TcpSegment.MinHeaderLength - (_timestamps ? 12 : 0);
        _congestion.OnPathMtuReduced(_sendMss);
        if (State is TcpState.SynSent or TcpState.SynReceived) return true; // only a SYN is out; the bound stays for the negotiation
        // tcp_simple_retransmit: back to SND.UNA; the send path cuts what it sends again from the stream at the new MSS.
        GoBackToUnacknowledged();
        _stack.MarkDirty(this);
        return true;
    }

    /// <summary>
    /// Sends again from SND.UNA, forgetting recovery and the SACK scoreboard (RFC 2018 §8: not trusted after going back),
    /// with RFC 6582 §3.2 step 1's "recover" at SND.MAX so that duplicate ACKs of the old flight cause no further reduction.
    /// </summary>
    private void GoBackToUnacknowledged()
    {
        _inRecovery = false;
        _duplicateAcks = 0;
        _limitedTransmitAllowance = 0;
        _scoreboard.Clear();
        _recover = _sndMax;
        _sndNxt = _sndUna;
        _highRxt = _sndUna;
        _timing = false;
    }

    private int InitialReceiveWindow() => Math.Min(_receiveBuffer.Limit, ushort.MaxValue << _rcvWndShift);

    private uint TimestampNow(Instant now) => TimestampAt(now, _tsOffset);

    /// <summary>Our TSval: a 1 ms clock (RFC 7323 §5.4) plus the connection's random offset.</summary>
    internal static uint TimestampAt(Instant now, uint offset) => unchecked((uint)(now.Nanoseconds / 1_000_000) + offset);

    /// <summary>Any state change the application might wait for, or output to produce: the stack flushes us.</summary>
    private void RequestAck()
    {
        _ackNow = true;
        _stack.MarkDirty(this);
    }
}
