using System.Diagnostics;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// The TCP layer of one host, sans-IO: the four-tuple table, listeners, ephemeral ports, ISNs, RSTs for segments that
/// match nothing, and the flush that turns pending output into segments. Give it segments with
/// <see cref="OnSegment"/>, run <see cref="OnTimers"/> at <see cref="NextDeadline"/>, and <see cref="Flush{TWriter}"/>
/// after each receive batch.
/// </summary>
internal sealed class TcpStack
{
    private const int ResetQueueCapacity = 64;
    private const int SynAckQueueCapacity = 256;
    private const ulong CookieSeedSalt = 0x5CA1_AB1E_C00C_1E55; // the cookie keys' own generator, so theirs is not the ports' sequence
    /// <summary>Linux's default ip_local_port_range.</summary>
    private static readonly PortRange DefaultEphemeralPorts = new(32768, 60999);

    private readonly Dictionary<TcpFourTuple, TcpConnection> _connections = new();
    private readonly Dictionary<ushort, TcpListener> _listeners = new();
    // Sized up front so the per-packet path never grows them (they only grow with the number of connections).
    private readonly List<TcpConnection> _dirty = new(64);
    private readonly List<TcpConnection> _timerScratch = new(64);
    // Half-open connections of every listener (their SYN queues), with their SYN-ACK retransmission timers.
    private readonly Dictionary<TcpFourTuple, SynRequest> _requests = new();
    private readonly TimerWheel<SynRequest> _requestTimers = new(TimeSpan.FromMilliseconds(10), 1024);
    private readonly List<SynRequest> _requestScratch = new(64);
    private readonly SynAckSegment[] _synAcks = new SynAckSegment[SynAckQueueCapacity];
    private int _synAckCount;
    private readonly SynCookies _cookies;
    private readonly PendingReset[] _resets = new PendingReset[ResetQueueCapacity];
    private int _resetCount;
    private int _resetTokens;       // the stateless RSTs' bucket (TakeResetToken)
    private long _resetRefilledAt;  // nanoseconds of the clock the bucket was last filled up to
    private readonly TcpConnectionCounters _finished = new();
    private readonly TimeWaitTable _timeWait;
    // One entry per connection at its earliest deadline: O(1) to move, and expiry visits only the ticks that passed.
    private readonly TimerWheel<TcpConnection> _timers = new(TimeSpan.FromMilliseconds(1), 4096);
    private readonly IInitialSequenceNumberSource _isn;
    private readonly DeterministicRandom _random;
    private readonly PortRange _ephemeralPorts;

    /// <param name="seed">Ephemeral ports, timestamp offsets and the like.</param>
    /// <param name="cookieKeysFromSeed">The SYN-cookie keys from <paramref name="seed"/> too (reproducible: tests, replays);
    /// false takes them from the cryptographic generator, as a stack facing real peers must.</param>
    /// <param name="ephemeralPorts">Where active opens take their local ports; null for Linux's default range (a stack
    /// sharing the host's address takes the range reserved for it from the kernel).</param>
    public TcpStack(TcpConfig config, IInitialSequenceNumberSource isn, ulong seed, bool cookieKeysFromSeed = true, PortRange? ephemeralPorts = null)
    {
        config.Validate();
        Config = config;
        _isn = isn;
        _random = new DeterministicRandom(seed);
        _ephemeralPorts = ephemeralPorts ?? DefaultEphemeralPorts;
        _cookies = new SynCookies(cookieKeysFromSeed ? new DeterministicRandom(seed ^ CookieSeedSalt) : null);
        _timeWait = new TimeWaitTable(config.MaxTimeWaitEntries, Stats, _finished);
        _resetTokens = config.ResetsPerSecond;
    }

    /// <summary>New connections' settings; the interface lowers the MSS when a DHCP lease brings a smaller MTU (RFC 2132 §5.1).</summary>
    public TcpConfig Config { get; set; }

    /// <summary>
    /// Most bytes of one TCP segment (header and payload) the layer below splits into MSS-sized frames itself (segmentation
    /// offload: GSO on a packet socket), set by the interface from its device; 0, the default, when it does not. With it
    /// the engine sends new data in segments of several MSS, as Linux's tcp_write_xmit does with TSO/GSO.
    /// </summary>
    internal int OffloadSegmentBytes { get; set; }

    public TcpStackStats Stats { get; } = new();
    /// <summary>Arrival-to-ACK delay of every data segment this stack received.</summary>
    public AckLatencyHistogram AckLatency { get; } = new();
    /// <summary>Connections with a <see cref="TcpConnection"/>: every state but TIME-WAIT (see <see cref="TimeWaitCount"/>).</summary>
    public int ConnectionCount => _connections.Count;
    /// <summary>Four-tuples in TIME-WAIT, each kept as a <see cref="TimeWaitEntry"/>.</summary>
    public int TimeWaitCount => _timeWait.Count;
    /// <summary>Half-open connections in every listener's SYN queue, each a small <see cref="SynRequest"/>.</summary>
    public int SynRequestCount => _requests.Count;
    public IEnumerable<TcpConnection> Connections => _connections.Values;

    /// <summary>Active open to <paramref name="remoteAddress"/>:<paramref name="remotePort"/> from a random free ephemeral port (RFC 6056 §3.3.1).</summary>
    public TcpConnection Connect(Ipv4Address localAddress, Ipv4Address remoteAddress, ushort remotePort, Instant now, TcpConfig? config = null)
    {
        config ??= Config;
        config.Validate();
        ushort localPort = PickEphemeralPort(localAddress, remoteAddress, remotePort);
        var tuple = new TcpFourTuple(localAddress, localPort, remoteAddress, remotePort);
        var connection = NewConnection(tuple, config, _isn.Next(tuple, now), _random.NextUInt32());
        connection.OpenActive();
        MarkDirty(connection);
        Stats.ConnectionsOpened++;
        return connection;
    }

    public bool HasListener(ushort port) => _listeners.ContainsKey(port);

    public TcpListener Listen(ushort port, int backlog = 128, TcpConfig? config = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backlog);
        if (_listeners.ContainsKey(port)) throw new InvalidOperationException($"port {port} already has a listener");
        config ??= Config;
        config.Validate();
        var listener = new TcpListener(this, port, backlog, config);
        _listeners.Add(port, listener);
        return listener;
    }

    /// <summary>Demultiplexes one segment (already checksum-verified by the IP layer). Returns true when output is
    /// due before the next segment is processed (naive ACK policy): the caller then flushes.</summary>
    public bool OnSegment(Ipv4Address source, Ipv4Address destination, in TcpSegment segment, Instant now)
    {
        Stats.SegmentsReceived++;
        var tuple = new TcpFourTuple(destination, segment.DestinationPort, source, segment.SourcePort);
        if (_connections.TryGetValue(tuple, out var connection))
        {
            bool flushNow = connection.OnSegment(segment, now);
            Reschedule(connection);
            connection.Observer?.OnConnectionChanged();
            return flushNow;
        }

        if (_requests.TryGetValue(tuple, out var request)) return OnRequestSegment(request, segment, now);

        var flags = segment.Flags;
        _listeners.TryGetValue(segment.DestinationPort, out var listener);
        var verdict = _timeWait.OnSegment(tuple, segment, listening: listener is not null, now, out var reopenIss);
        if (verdict == TimeWaitVerdict.Handled) return false;
        SeqNum? iss = verdict == TimeWaitVerdict.Reopen ? reopenIss : null; // the listener below takes the SYN
        if (listener is not null)
        {
            // RFC 9293 §3.10.7.2 LISTEN: RST ignored; an ACK gets a RST unless it carries a SYN cookie; a SYN opens;
            // anything else is dropped.
            if ((flags & TcpFlags.Rst) != 0) return false;
            if ((flags & TcpFlags.Ack) != 0)
            {
                // Linux tcp_v4_cookie_check: an ACK is read as a cookie only while cookies may be live.
                if ((flags & TcpFlags.Syn) == 0 && listener.Config.SynCookies && listener.CookiesSentRecently(now))
                    return OnCookieAck(listener, tuple, segment, now);
                if (TakeResetToken(now)) QueueReset(tuple, new SeqNum(segment.AcknowledgmentNumber), default, withAck: false);
                return false;
            }
            if ((flags & TcpFlags.Syn) != 0) OnListenSyn(listener, tuple, segment, now, iss);
            return false;
        }

        // RFC 9293 §3.10.7.1 CLOSED: never answer a RST; otherwise a RST that the sender will accept.
        Stats.SegmentsForNoConnection++;
        if ((flags & TcpFlags.Rst) == 0 && TakeResetToken(now)) QueueResetFor(tuple, segment);
        return false;
    }

    /// <summary>
    /// The bucket of <see cref="TcpConfig.ResetsPerSecond"/> that RSTs for segments matching no connection take from
    /// (FreeBSD's badport_bandlim, Linux's icmp_ratelimit for ICMP): refilled with the clock, a second's worth at most.
    /// </summary>
    private bool TakeResetToken(Instant now)
    {
        int rate = Config.ResetsPerSecond;
        long nanosPerToken = 1_000_000_000 / rate;
        long elapsed = now.Nanoseconds - _resetRefilledAt;
        if (elapsed >= nanosPerToken)
        {
            long added = elapsed / nanosPerToken;
            _resetTokens = (int)Math.Min(rate, _resetTokens + added);
            _resetRefilledAt = _resetTokens == rate ? now.Nanoseconds : _resetRefilledAt + added * nanosPerToken;
        }
        if (_resetTokens == 0)
        {
            Stats.ResetsRateLimited++;
            return false;
        }
        _resetTokens--;
        return true;
    }

    /// <summary>
    /// A SYN to a listener (Linux tcp_conn_request). With the accept queue full it is dropped (the peer retransmits);
    /// with the SYN queue full it gets a SYN cookie, or without cookies is dropped; otherwise a <see cref="SynRequest"/>
    /// joins the SYN queue and its SYN-ACK leaves. <paramref name="iss"/> is given when it reopens a TIME-WAIT.
    /// </summary>
    private void OnListenSyn(TcpListener listener, TcpFourTuple tuple, in TcpSegment syn, Instant now, SeqNum? iss)
    {
        var config = listener.Config;
        if (listener.AcceptQueueFull || (listener.SynQueueFull && !config.SynCookies))
        {
            listener.OnSynDropped();
            Stats.SynsDroppedByBacklog++;
            return;
        }
        var options = syn.Options;
        bool timestamps = config.Timestamps && options.Timestamps.HasValue;
        if (listener.SynQueueFull)
        {
            SendCookie(listener, tuple, syn, timestamps, now);
            return;
        }
        var request = new SynRequest(listener, tuple, iss ?? _isn.Next(tuple, now), new SeqNum(syn.SequenceNumber), _random.NextUInt32())
        {
            PeerMss = options.MaximumSegmentSize,
            PeerWindowScale = config.WindowScaling ? options.WindowScale : null,
            SackPermitted = config.SelectiveAcknowledgments && options.SackPermitted,
            Timestamps = timestamps,
            TsRecent = timestamps ? options.Timestamps!.Value.Value : 0,
            PeerWindow = syn.Window,
            FirstSentAt = now,
        };
        _requests.Add(tuple, request);
        listener.OnRequestAdded();
        QueueSynAck(request.SynAck(now));
        ScheduleSynAckRetransmission(request, now);
    }

    /// <summary>
    /// A stateless SYN-ACK whose ISN is a cookie (Linux cookie_v4_init_sequence). Without timestamps it offers nothing but
    /// the MSS (Linux tcp_conn_request clears the options): window scale and SACK-permitted can only come back in the
    /// echoed TSval (cookie_init_timestamp).
    /// </summary>
    private void SendCookie(TcpListener listener, TcpFourTuple tuple, in TcpSegment syn, bool timestamps, Instant now)
    {
        var config = listener.Config;
        var options = syn.Options;
        int mssIndex = SynCookies.MssIndex(options.MaximumSegmentSize ?? TcpConnection.DefaultReceiveMss);
        uint cookie = _cookies.Make(tuple, syn.SequenceNumber, mssIndex, now, out uint timestampOffset);
        byte? peerScale = timestamps && config.WindowScaling ? options.WindowScale : null;
        bool sack = timestamps && config.SelectiveAcknowledgments && options.SackPermitted;
        TcpTimestamps? stamps = null;
        if (timestamps)
        {
            uint tsval = TcpConnection.TimestampAt(now, timestampOffset);
            stamps = new TcpTimestamps(SynCookies.EncodeTimestamp(tsval, peerScale, sack), options.Timestamps!.Value.Value);
        }
        QueueSynAck(new SynAckSegment(tuple, new SeqNum(cookie), new SeqNum(syn.SequenceNumber) + 1, TcpConnection.SynWindow(config),
                                      (ushort)config.MaxSegmentSize, peerScale is null ? null : TcpConnection.ReceiveWindowShift(config), sack, stamps));
        listener.OnCookieSent(now);
        Stats.SynCookiesSent++;
    }

    /// <summary>
    /// An ACK to a listener that sent cookies lately (Linux cookie_v4_check): ACK - 1 must be a live cookie for this
    /// four-tuple and SEQ - 1; the options come back from it and from the echoed TSval. A valid one opens the connection
    /// ESTABLISHED at once, unless the accept queue is full (then it is dropped, as Linux's). An invalid one is counted
    /// and gets the RST any ACK to a listener gets: Linux's cookie_v4_check returns the listener, whose
    /// tcp_rcv_state_process answers an ACK in LISTEN with a reset (RFC 9293 §3.10.7.2).
    /// </summary>
    private bool OnCookieAck(TcpListener listener, TcpFourTuple tuple, in TcpSegment ack, Instant now)
    {
        var config = listener.Config;
        uint peerIsn = ack.SequenceNumber - 1, cookie = ack.AcknowledgmentNumber - 1;
        int mssIndex = _cookies.Check(tuple, peerIsn, cookie, now);
        byte? peerScale = null;
        bool sack = false;
        var stamps = ack.Options.Timestamps;
        if (mssIndex >= 0 && stamps is { } echoed)
        {
            (peerScale, sack) = SynCookies.DecodeTimestamp(echoed.EchoReply);
            // Linux cookie_timestamp_decode: options we would not have offered mean a forged echo.
            if (!config.Timestamps || (peerScale.HasValue && !config.WindowScaling) || (sack && !config.SelectiveAcknowledgments)) mssIndex = -1;
        }
        if (mssIndex < 0)
        {
            Stats.SynCookiesRejected++;
            if (TakeResetToken(now)) QueueReset(tuple, new SeqNum(ack.AcknowledgmentNumber), default, withAck: false);
            return false;
        }
        Stats.SynCookiesValidated++;
        if (listener.AcceptQueueFull)
        {
            Stats.ListenOverflows++;
            return false;
        }
        var request = new SynRequest(listener, tuple, new SeqNum(cookie), new SeqNum(peerIsn), _cookies.TimestampOffset(tuple))
        {
            PeerMss = (ushort)SynCookies.MssAt(mssIndex),
            PeerWindowScale = peerScale,
            SackPermitted = sack,
            Timestamps = stamps.HasValue,
            TsRecent = stamps?.Value ?? 0,
        };
        return Establish(request, ack, now);
    }

    /// <summary>
    /// A segment for a half-open connection (Linux tcp_check_req; RFC 9293 §3.10.7.4 in SYN-RECEIVED). The handshake's
    /// ACK makes it a connection, unless the accept queue is full: then the ACK is dropped and counted (Linux
    /// ListenOverflows, tcp_abort_on_overflow off), the request stays and its SYN-ACKs go on, and the peer's next
    /// ACK or data completes it once there is room.
    /// </summary>
    private bool OnRequestSegment(SynRequest request, in TcpSegment segment, Instant now)
    {
        var flags = segment.Flags;
        var seq = new SeqNum(segment.SequenceNumber);
        if ((flags & (TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Rst)) == TcpFlags.Syn && seq == request.Irs)
        {
            QueueSynAck(request.SynAck(now)); // the peer repeats its SYN: our SYN-ACK was lost (Linux inet_rtx_syn_ack)
            return false;
        }
        var stamps = segment.Options.Timestamps;
        // RFC 7323 §5.3 PAWS, and RFC 9293 §3.10.7.4 first: an unacceptable segment is dropped (Linux answers it with an
        // ACK, tcp_check_req; the peer's retransmission or our SYN-ACK's does the same here).
        if (request.Timestamps && stamps is { } ts && (flags & TcpFlags.Rst) == 0 && unchecked((int)(ts.Value - request.TsRecent)) < 0) return false;
        if (!TcpConnection.IsAcceptable(request.Irs + 1, TcpConnection.SynWindow(request.Listener.Config), seq, segment.SequenceLength)) return false;
        if ((flags & TcpFlags.Rst) != 0)
        {
            RemoveRequest(request); // §3.10.7.4 second: a passive open returns to LISTEN
            return false;
        }
        if ((flags & TcpFlags.Syn) != 0)
        {
            QueueResetFor(request.Tuple, segment); // Linux tcp_check_req "embryonic_reset": a new SYN in the window
            RemoveRequest(request);
            return false;
        }
        if ((flags & TcpFlags.Ack) == 0) return false;
        if (new SeqNum(segment.AcknowledgmentNumber) != request.Iss + 1)
        {
            QueueReset(request.Tuple, new SeqNum(segment.AcknowledgmentNumber), default, withAck: false); // §3.10.7.4 fifth
            return false;
        }
        if (request.Listener.AcceptQueueFull)
        {
            Stats.ListenOverflows++;
            return false;
        }
        if (request.Timestamps && stamps is { } latest) request.TsRecent = latest.Value; // RFC 7323 §4.3
        RemoveRequest(request);
        return Establish(request, segment, now);
    }

    /// <summary>The handshake's ACK has come for <paramref name="request"/>: the connection is made, in SYN-RECEIVED, and
    /// given the ACK, which makes it ESTABLISHED and queues it for accepting (and delivers any data it carries).</summary>
    private bool Establish(SynRequest request, in TcpSegment ack, Instant now)
    {
        var connection = NewConnection(request.Tuple, request.Listener.Config, request.Iss, request.TimestampOffset);
        connection.Listener = request.Listener;
        connection.OpenFromRequest(request);
        Stats.ConnectionsAccepted++;
        bool flushNow = connection.OnSegment(ack, now);
        Debug.Assert(connection.State != TcpState.SynReceived, "the request's checks are the connection's: the ACK establishes it");
        Reschedule(connection);
        return flushNow;
    }

    private void ScheduleSynAckRetransmission(SynRequest request, Instant now)
    {
        // Linux reqsk_timer_handler: the initial timeout doubling per retransmission (TCP_TIMEOUT_INIT, up to TCP_RTO_MAX).
        var config = request.Listener.Config;
        long ticks = Math.Min(config.InitialRetransmissionTimeout.Ticks << Math.Min(request.Retransmissions, 30), config.MaxRetransmissionTimeout.Ticks);
        _requestTimers.Schedule(request.TimerHandle, now + TimeSpan.FromTicks(ticks));
    }

    private void RemoveRequest(SynRequest request)
    {
        _requests.Remove(request.Tuple);
        _requestTimers.Cancel(request.TimerHandle);
        request.Listener.OnRequestRemoved();
    }

    private void QueueSynAck(in SynAckSegment synAck)
    {
        if (_synAckCount == SynAckQueueCapacity)
        {
            Stats.SynAcksDropped++; // a request's timer or the peer's SYN retransmission sends it again
            return;
        }
        _synAcks[_synAckCount++] = synAck;
    }

    /// <summary>RFC 9293 §3.10.7.1: the RST for a segment (not itself a RST) that matches no connection.</summary>
    private void QueueResetFor(TcpFourTuple tuple, in TcpSegment segment)
    {
        if ((segment.Flags & TcpFlags.Ack) != 0)
            QueueReset(tuple, new SeqNum(segment.AcknowledgmentNumber), default, withAck: false);
        else
            QueueReset(tuple, new SeqNum(0), new SeqNum(segment.SequenceNumber) + segment.SequenceLength, withAck: true);
    }

    /// <summary>
    /// The IP layer could not reach <paramref name="remote"/> (no ARP answer, no route). RFC 1122 §4.2.3.9:
    /// a hard error only for a connection still opening, which then fails with <see cref="TcpError.HostUnreachable"/>;
    /// synchronized connections keep retransmitting (the condition may be transient).
    /// </summary>
    public void OnDestinationUnreachable(Ipv4Address remote)
    {
        _timerScratch.Clear();
        foreach (var connection in _connections.Values)
            if (connection.Tuple.RemoteAddress == remote && connection.State == TcpState.SynSent) _timerScratch.Add(connection);
        foreach (var connection in _timerScratch) connection.FailUnreachable(TcpError.HostUnreachable);
    }

    /// <summary>
    /// The interface no longer holds <paramref name="local"/> (a DHCP lease ended): every connection from it fails with
    /// <see cref="TcpError.AddressLost"/>, without a RST, which could only come from an address we no longer hold.
    /// </summary>
    public void OnAddressLost(Ipv4Address local)
    {
        _timerScratch.Clear();
        foreach (var connection in _connections.Values)
            if (connection.Tuple.LocalAddress == local) _timerScratch.Add(connection);
        foreach (var connection in _timerScratch) connection.FailUnreachable(TcpError.AddressLost);
    }

    /// <summary>
    /// An ICMP destination unreachable about one of our segments (RFC 1122 §4.2.3.9), quoting the segment's sequence number
    /// <paramref name="quotedSeq"/>. A connection still opening fails, as Linux's does: with ConnectionRefused for protocol
    /// or port unreachable (codes 2 and 3, hard errors), else with HostUnreachable. For a synchronized connection every
    /// code is a soft error: it keeps retransmitting, and its own timeout decides. Code 4 (fragmentation needed) lowers
    /// the connection's path MTU to <paramref name="nextHopMtu"/> (Linux tcp_v4_err → tcp_v4_mtu_reduced); a quote of no
    /// connection, or of a sequence number it never sent, is ignored and counted (RFC 5927 §4.1: a blind attacker would
    /// have to guess one).
    /// </summary>
    public void OnIcmpUnreachable(TcpFourTuple tuple, byte code, SeqNum quotedSeq, ushort nextHopMtu)
    {
        const byte protocolUnreachable = 2, portUnreachable = 3, fragmentationNeeded = 4;
        bool known = _connections.TryGetValue(tuple, out var connection);
        if (code == fragmentationNeeded)
        {
            if (!known) Stats.FragmentationNeededForNoConnection++;
            else if (!connection!.OnFragmentationNeeded(quotedSeq, nextHopMtu, out bool lowered)) Stats.FragmentationNeededOutOfWindow++;
            else if (lowered) Stats.PathMtuReductions++;
            return;
        }
        if (!known || connection!.State != TcpState.SynSent) return;
        connection.FailUnreachable(code is protocolUnreachable or portUnreachable ? TcpError.ConnectionRefused : TcpError.HostUnreachable);
    }

    /// <summary>Runs the timers of every connection whose deadline has come.</summary>
    public void OnTimers(Instant now)
    {
        _timeWait.OnTimers(now);
        _requestScratch.Clear();
        _requestTimers.Expire(now, _requestScratch);
        foreach (var request in _requestScratch)
        {
            if (request.Retransmissions >= request.Listener.Config.MaxSynAckRetransmissions)
            {
                RemoveRequest(request); // Linux: the request is dropped after tcp_synack_retries, quietly
                Stats.SynRequestsExpired++;
                continue;
            }
            request.Retransmissions++;
            Stats.SynAckRetransmissions++;
            QueueSynAck(request.SynAck(now));
            ScheduleSynAckRetransmission(request, now);
        }
        _timerScratch.Clear();
        _timers.Expire(now, _timerScratch);
        foreach (var connection in _timerScratch)
        {
            connection.OnTimers(now);
            Reschedule(connection);
            connection.Observer?.OnConnectionChanged();
        }
    }

    /// <summary>The earliest timer of any connection (<see cref="Instant.Never"/> when none is armed).</summary>
    public Instant NextDeadline
    {
        get
        {
            foreach (var connection in _dirty) Reschedule(connection); // application calls since the last flush
            return Instant.Min(Instant.Min(_timers.NextDeadline, _timeWait.NextDeadline), _requestTimers.NextDeadline);
        }
    }

    public bool HasPendingOutput => _dirty.Count > 0 || _resetCount > 0 || _synAckCount > 0 || _timeWait.HasPendingAcks;

    /// <summary>Writes every pending segment: queued RSTs, TIME-WAIT entries' ACKs, then each connection with output, until
    /// it has none or the writer has no buffer. A connection that has reached TIME-WAIT and sent what it owed is then
    /// replaced by its <see cref="TimeWaitEntry"/>. Returns the number of segments written.</summary>
    public int Flush<TWriter>(ref TWriter writer, Instant now) where TWriter : struct, ITcpSegmentWriter
    {
        int written = 0;
        PayloadByReference = writer.TakesPayloadByReference;
        while (_resetCount > 0)
        {
            ref var reset = ref _resets[_resetCount - 1];
            var buffer = writer.Begin(reset.Tuple.LocalAddress, reset.Tuple.RemoteAddress);
            if (buffer.IsEmpty) return written;
            var header = new TcpHeader(reset.Tuple.LocalPort, reset.Tuple.RemotePort, reset.Sequence.Value,
                                       reset.WithAck ? reset.Acknowledgment.Value : 0,
                                       reset.WithAck ? TcpFlags.Rst | TcpFlags.Ack : TcpFlags.Rst, 0);
            int length = header.Length;
            header.Emit(buffer[..length], reset.Tuple.LocalAddress, reset.Tuple.RemoteAddress);
            writer.Commit(length, 0);
            _resetCount--;
            Stats.ResetsSent++;
            written++;
        }
        while (_synAckCount > 0)
        {
            ref var synAck = ref _synAcks[_synAckCount - 1];
            var buffer = writer.Begin(synAck.Tuple.LocalAddress, synAck.Tuple.RemoteAddress);
            if (buffer.IsEmpty) return written;
            writer.Commit(synAck.Write(buffer), 0);
            _synAckCount--;
            written++;
        }
        if (!_timeWait.WriteAcks(ref writer, now, ref written)) return written;
        int index = 0;
        while (index < _dirty.Count)
        {
            var connection = _dirty[index];
            while (true)
            {
                var buffer = writer.Begin(connection.Tuple.LocalAddress, connection.Tuple.RemoteAddress);
                if (buffer.IsEmpty)
                {
                    _dirty.RemoveRange(0, index); // keep the rest dirty for the next flush
                    return written;
                }
                int length = connection.WriteNextSegment(buffer, now);
                if (ReferencedPayload.Count > 0)
                {
                    writer.Commit(length, connection.OffloadSegmentSize, in ReferencedPayload);
                    ReferencedPayload.Clear();
                }
                else
                {
                    writer.Commit(length, connection.OffloadSegmentSize);
                }
                if (length == 0) break;
                written++;
            }
            connection.IsDirty = false;
            if (connection.State == TcpState.TimeWait) EnterTimeWait(connection);
            Reschedule(connection);
            index++;
        }
        _dirty.Clear();
        return written;
    }

    /// <summary>During <see cref="Flush{TWriter}"/>: whether the writer takes a segment's payload by reference.</summary>
    internal bool PayloadByReference { get; private set; }

    /// <summary>During <see cref="Flush{TWriter}"/>: the payload the segment being written left in its send buffer (a
    /// connection fills it when <see cref="PayloadByReference"/>; empty when it copied the payload).</summary>
    internal SegmentPayload ReferencedPayload;

    internal void MarkDirty(TcpConnection connection)
    {
        if (connection.IsDirty) return;
        connection.IsDirty = true;
        _dirty.Add(connection);
    }

    internal void QueueReset(TcpFourTuple tuple, SeqNum sequence, SeqNum acknowledgment, bool withAck)
    {
        if (_resetCount == ResetQueueCapacity)
        {
            Stats.ResetsDropped++;
            return;
        }
        _resets[_resetCount++] = new PendingReset(tuple, sequence, acknowledgment, withAck);
    }

    /// <summary>Counters of every connection this stack has had: the finished ones' totals plus the live ones. On the
    /// stack's thread: it walks the connection table.</summary>
    public TcpConnectionStats TotalConnectionStats()
    {
        var total = new TcpConnectionCounters();
        total.Add(_finished);
        foreach (var connection in _connections.Values) total.Add(connection.Stats);
        return total.Snapshot();
    }

    private void Reschedule(TcpConnection connection) => _timers.Schedule(connection.TimerHandle, connection.NextDeadline);

    /// <summary>Where connections take the chunks their send and receive buffers hold bytes in, and hand them back.</summary>
    internal ChunkPool Buffers { get; } = new();

    internal void Remove(TcpConnection connection)
    {
        _timers.Cancel(connection.TimerHandle);
        if (_connections.Remove(connection.Tuple)) _finished.Add(connection.Stats);
        connection.Observer?.OnConnectionChanged(); // it failed or ended: also when a command or a flush ended it
    }

    /// <summary>The listener closed: its half-open connections are forgotten without a segment (their ACKs will find no
    /// listener and get a RST).</summary>
    internal void RemoveListener(TcpListener listener)
    {
        _listeners.Remove(listener.Port);
        _requestScratch.Clear();
        foreach (var request in _requests.Values)
            if (request.Listener == listener) _requestScratch.Add(request);
        foreach (var request in _requestScratch) RemoveRequest(request);
    }

    /// <summary>
    /// Linux's tcp_time_wait: the connection's counters join the finished ones', the stack forgets it, and the table keeps
    /// its TIME-WAIT (unless full: then it simply closes, as Linux's does past tcp_max_tw_buckets).
    /// </summary>
    private void EnterTimeWait(TcpConnection connection)
    {
        var entry = connection.LeaveForTimeWait();
        Remove(connection);
        _timeWait.TryAdd(connection.Tuple, entry);
    }

    /// <summary>A new connection with its ISS and its timestamp offset (RFC 7323 §5.4: random per connection; a SYN
    /// cookie's is keyed by the four-tuple).</summary>
    private TcpConnection NewConnection(TcpFourTuple tuple, TcpConfig config, SeqNum iss, uint timestampOffset)
    {
        var connection = new TcpConnection(this, config, tuple, iss, timestampOffset);
        _connections.Add(tuple, connection);
        return connection;
    }

    private ushort PickEphemeralPort(Ipv4Address local, Ipv4Address remote, ushort remotePort)
    {
        int range = _ephemeralPorts.Count;
        int start = _random.Next(0, range);
        for (int i = 0; i < range; i++)
        {
            ushort port = (ushort)(_ephemeralPorts.First + (start + i) % range);
            var tuple = new TcpFourTuple(local, port, remote, remotePort);
            if (!_connections.ContainsKey(tuple) && !_timeWait.Contains(tuple) && !_listeners.ContainsKey(port))
                return port; // a four-tuple in TIME-WAIT stays reserved until its 2*MSL ends (RFC 9293 §3.4.2)
        }
        throw new InvalidOperationException($"no free ephemeral port towards {remote}:{remotePort}");
    }

    private readonly record struct PendingReset(TcpFourTuple Tuple, SeqNum Sequence, SeqNum Acknowledgment, bool WithAck);
}
