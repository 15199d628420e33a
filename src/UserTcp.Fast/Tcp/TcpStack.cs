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
    private const ushort EphemeralFirst = 32768, EphemeralLast = 60999; // Linux's default range

    private readonly Dictionary<TcpFourTuple, TcpConnection> _connections = new();
    private readonly Dictionary<ushort, TcpListener> _listeners = new();
    // Sized up front so the per-packet path never grows them (they only grow with the number of connections).
    private readonly List<TcpConnection> _dirty = new(64);
    private readonly List<TcpConnection> _timerScratch = new(64);
    private readonly PendingReset[] _resets = new PendingReset[ResetQueueCapacity];
    private int _resetCount;
    private readonly TcpConnectionCounters _finished = new();
    private readonly TimeWaitTable _timeWait;
    // One entry per connection at its earliest deadline: O(1) to move, and expiry visits only the ticks that passed.
    private readonly TimerWheel<TcpConnection> _timers = new(TimeSpan.FromMilliseconds(1), 4096);
    private readonly IInitialSequenceNumberSource _isn;
    private readonly DeterministicRandom _random;

    public TcpStack(TcpConfig config, IInitialSequenceNumberSource isn, ulong seed)
    {
        config.Validate();
        Config = config;
        _isn = isn;
        _random = new DeterministicRandom(seed);
        _timeWait = new TimeWaitTable(config.MaxTimeWaitEntries, Stats, _finished);
    }

    public TcpConfig Config { get; }
    public TcpStackStats Stats { get; } = new();
    /// <summary>Arrival-to-ACK delay of every data segment this stack received.</summary>
    public AckLatencyHistogram AckLatency { get; } = new();
    /// <summary>Connections with a <see cref="TcpConnection"/>: every state but TIME-WAIT (see <see cref="TimeWaitCount"/>).</summary>
    public int ConnectionCount => _connections.Count;
    /// <summary>Four-tuples in TIME-WAIT, each kept as a <see cref="TimeWaitEntry"/>.</summary>
    public int TimeWaitCount => _timeWait.Count;
    public IEnumerable<TcpConnection> Connections => _connections.Values;

    /// <summary>Active open to <paramref name="remoteAddress"/>:<paramref name="remotePort"/> from a random free ephemeral port (RFC 6056 §3.3.1).</summary>
    public TcpConnection Connect(Ipv4Address localAddress, Ipv4Address remoteAddress, ushort remotePort, Instant now, TcpConfig? config = null)
    {
        config ??= Config;
        config.Validate();
        ushort localPort = PickEphemeralPort(localAddress, remoteAddress, remotePort);
        var tuple = new TcpFourTuple(localAddress, localPort, remoteAddress, remotePort);
        var connection = NewConnection(tuple, config, now, iss: null);
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

        var flags = segment.Flags;
        _listeners.TryGetValue(segment.DestinationPort, out var listener);
        var verdict = _timeWait.OnSegment(tuple, segment, listening: listener is not null, now, out var reopenIss);
        if (verdict == TimeWaitVerdict.Handled) return false;
        SeqNum? iss = verdict == TimeWaitVerdict.Reopen ? reopenIss : null; // the listener below takes the SYN
        if (listener is not null)
        {
            // RFC 9293 §3.10.7.2 LISTEN: RST ignored; an ACK gets a RST; a SYN opens; anything else is dropped.
            if ((flags & TcpFlags.Rst) != 0) return false;
            if ((flags & TcpFlags.Ack) != 0)
            {
                QueueReset(tuple, new SeqNum(segment.AcknowledgmentNumber), default, withAck: false);
                return false;
            }
            if ((flags & TcpFlags.Syn) == 0) return false;
            if (!listener.TryReserveSyn())
            {
                Stats.SynsDroppedByBacklog++;
                return false;
            }
            var accepted = NewConnection(tuple, listener.Config, now, iss);
            accepted.Listener = listener;
            accepted.OpenPassive(segment, now);
            MarkDirty(accepted);
            Stats.ConnectionsAccepted++;
            return false;
        }

        // RFC 9293 §3.10.7.1 CLOSED: never answer a RST; otherwise a RST that the sender will accept.
        Stats.SegmentsForNoConnection++;
        if ((flags & TcpFlags.Rst) != 0) return false;
        if ((flags & TcpFlags.Ack) != 0)
            QueueReset(tuple, new SeqNum(segment.AcknowledgmentNumber), default, withAck: false);
        else
            QueueReset(tuple, new SeqNum(0), new SeqNum(segment.SequenceNumber) + segment.SequenceLength, withAck: true);
        return false;
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
    /// An ICMP destination unreachable about one of our segments (RFC 1122 §4.2.3.9). A connection still opening fails,
    /// as Linux's does: with ConnectionRefused for protocol or port unreachable (codes 2 and 3, hard errors), else with
    /// HostUnreachable. For a synchronized connection every code is a soft error: it keeps retransmitting, and its own
    /// timeout decides. Code 4 (fragmentation needed) is not a failure at all: segments never exceed the interface MTU.
    /// </summary>
    public void OnIcmpUnreachable(TcpFourTuple tuple, byte code)
    {
        const byte protocolUnreachable = 2, portUnreachable = 3, fragmentationNeeded = 4;
        if (code == fragmentationNeeded || !_connections.TryGetValue(tuple, out var connection) || connection.State != TcpState.SynSent) return;
        connection.FailUnreachable(code is protocolUnreachable or portUnreachable ? TcpError.ConnectionRefused : TcpError.HostUnreachable);
    }

    /// <summary>Runs the timers of every connection whose deadline has come.</summary>
    public void OnTimers(Instant now)
    {
        _timeWait.OnTimers(now);
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
            return Instant.Min(_timers.NextDeadline, _timeWait.NextDeadline);
        }
    }

    public bool HasPendingOutput => _dirty.Count > 0 || _resetCount > 0 || _timeWait.HasPendingAcks;

    /// <summary>Writes every pending segment: queued RSTs, TIME-WAIT entries' ACKs, then each connection with output, until
    /// it has none or the writer has no buffer. A connection that has reached TIME-WAIT and sent what it owed is then
    /// replaced by its <see cref="TimeWaitEntry"/>. Returns the number of segments written.</summary>
    public int Flush<TWriter>(ref TWriter writer, Instant now) where TWriter : struct, ITcpSegmentWriter
    {
        int written = 0;
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
            writer.Commit(length);
            _resetCount--;
            Stats.ResetsSent++;
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
                writer.Commit(length);
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
        if (connection.Listener is { } listener)
        {
            listener.OnHalfOpenEnded();
            connection.Listener = null;
        }
    }

    internal void RemoveListener(TcpListener listener) => _listeners.Remove(listener.Port);

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

    /// <summary>A new connection; <paramref name="iss"/> given when it reopens a four-tuple in TIME-WAIT.</summary>
    private TcpConnection NewConnection(TcpFourTuple tuple, TcpConfig config, Instant now, SeqNum? iss)
    {
        // RFC 7323 §5.4: a random timestamp offset per connection.
        var connection = new TcpConnection(this, config, tuple, iss ?? _isn.Next(tuple, now), _random.NextUInt32());
        _connections.Add(tuple, connection);
        return connection;
    }

    private ushort PickEphemeralPort(Ipv4Address local, Ipv4Address remote, ushort remotePort)
    {
        int range = EphemeralLast - EphemeralFirst + 1;
        int start = _random.Next(0, range);
        for (int i = 0; i < range; i++)
        {
            ushort port = (ushort)(EphemeralFirst + (start + i) % range);
            var tuple = new TcpFourTuple(local, port, remote, remotePort);
            if (!_connections.ContainsKey(tuple) && !_timeWait.Contains(tuple) && !_listeners.ContainsKey(port))
                return port; // a four-tuple in TIME-WAIT stays reserved until its 2*MSL ends (RFC 9293 §3.4.2)
        }
        throw new InvalidOperationException($"no free ephemeral port towards {remote}:{remotePort}");
    }

    private readonly record struct PendingReset(TcpFourTuple Tuple, SeqNum Sequence, SeqNum Acknowledgment, bool WithAck);
}
