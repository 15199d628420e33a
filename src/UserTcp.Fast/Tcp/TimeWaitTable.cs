using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// The connections in TIME-WAIT (RFC 9293 §3.6), each a <see cref="TimeWaitEntry"/> of a few dozen bytes instead of its
/// <see cref="TcpConnection"/>, as Linux keeps inet_timewait_sock instead of the socket (tcp_time_wait). At most
/// <see cref="Capacity"/> entries (Linux tcp_max_tw_buckets); a connection that finds the table full closes at once.
/// Expiry is a priority queue keyed by deadline, so a turn looks only at the earliest entry, never at all of them.
/// </summary>
internal sealed class TimeWaitTable(int capacity, TcpStackStats stats, TcpConnectionCounters finished)
{
    private readonly Dictionary<TcpFourTuple, TimeWaitEntry> _entries = new();
    // One live element per entry, at or before its deadline (a FIN may have restarted 2*MSL since: moved when it comes up).
    private readonly PriorityQueue<TcpFourTuple, Instant> _expiry = new();
    private readonly List<TcpFourTuple> _acks = new(64);

    public int Capacity { get; } = capacity;
    public int Count => _entries.Count;
    public bool Contains(in TcpFourTuple tuple) => _entries.ContainsKey(tuple);
    public bool HasPendingAcks => _acks.Count > 0;

    /// <summary>The earliest deadline of any entry (<see cref="Instant.Never"/> when none).</summary>
    public Instant NextDeadline => TryPeekEarliest(out _, out var at) ? at : Instant.Never;

    /// <summary>Keeps <paramref name="entry"/> for <paramref name="tuple"/>; false (counted) when the table is full.</summary>
    public bool TryAdd(in TcpFourTuple tuple, TimeWaitEntry entry)
    {
        if (_entries.Count >= Capacity)
        {
            stats.TimeWaitOverflows++; // Linux: TCPTimeWaitOverflow, "time wait bucket table overflow"
            return false;
        }
        entry.QueuedAt = entry.Deadline;
        _entries.Add(tuple, entry); // a four-tuple is here or in the connection table, never both
        _expiry.Enqueue(tuple, entry.Deadline);
        return true;
    }

    /// <summary>Forgets the entries whose 2*MSL has passed.</summary>
    public void OnTimers(Instant now)
    {
        while (TryPeekEarliest(out var tuple, out var deadline) && deadline <= now)
        {
            _expiry.Dequeue();
            _entries.Remove(tuple);
        }
    }

    /// <summary>The entry with the earliest deadline, after dropping the queue's stale elements in front of it (an entry
    /// gone, or the element of an earlier incarnation of its four-tuple) and moving one whose 2*MSL a FIN restarted.</summary>
    private bool TryPeekEarliest(out TcpFourTuple tuple, out Instant deadline)
    {
        while (_expiry.TryPeek(out tuple, out deadline))
        {
            ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, tuple);
            if (Unsafe.IsNullRef(ref entry) || entry.QueuedAt != deadline)
            {
                _expiry.Dequeue();
                continue;
            }
            if (entry.Deadline == deadline) return true;
            _expiry.Dequeue();
            entry.QueuedAt = entry.Deadline;
            _expiry.Enqueue(tuple, entry.Deadline);
        }
        deadline = Instant.Never;
        return false;
    }

    /// <summary>
    /// One segment for a four-tuple in TIME-WAIT: RFC 9293 §3.10.7.4 as the full connection handled it before it was let
    /// go, and Linux's tcp_timewait_state_process for a new SYN. <paramref name="listening"/>: a listener on the local port
    /// could take a new SYN; <paramref name="reopenIss"/> is then the ISS for it.
    /// </summary>
    public TimeWaitVerdict OnSegment(in TcpFourTuple tuple, in TcpSegment segment, bool listening, Instant now, out SeqNum reopenIss)
    {
        reopenIss = default;
        ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, tuple);
        if (Unsafe.IsNullRef(ref entry)) return TimeWaitVerdict.NoEntry;
        finished.SegmentsReceived++;
        var flags = segment.Flags;
        var seq = new SeqNum(segment.SequenceNumber);
        bool rst = (flags & TcpFlags.Rst) != 0, syn = (flags & TcpFlags.Syn) != 0, fin = (flags & TcpFlags.Fin) != 0;
        TcpTimestamps? ts = entry.Timestamps ? segment.Options.Timestamps : null;

        // RFC 7323 §5.3 R1: PAWS drops an old duplicate and ACKs it (never a RST), as in every synchronized state.
        if (ts is { } old && !rst && unchecked((int)(old.Value - entry.TimestampRecent)) < 0)
        {
            finished.PawsRejected++;
            QueueAck(tuple, ref entry, now);
            return TimeWaitVerdict.Handled;
        }
        // RFC 1337 §3 fix (1): a RST never ends TIME-WAIT, or an old duplicate could cut it short and let a new incarnation
        // of the four-tuple meet the old one's segments (Linux: only with net.ipv4.tcp_rfc1337=1).
        if (rst) return TimeWaitVerdict.Handled;
        if (syn && (flags & TcpFlags.Ack) == 0)
        {
            // RFC 1122 §4.2.2.13 / RFC 6191 (Linux TCP_TW_SYN): a SYN above RCV.NXT, or with a newer timestamp, is a new
            // incarnation, not an old duplicate; our ISS then lies past everything the old one sent (tw_snd_nxt + 65535 + 2).
            if (listening && (seq > entry.ReceiveNext || (ts is { } fresh && unchecked((int)(entry.TimestampRecent - fresh.Value)) < 0)))
            {
                reopenIss = entry.SendNext + (ushort.MaxValue + 2);
                if (reopenIss.Value == 0) reopenIss += 1;
                _entries.Remove(tuple);
                stats.TimeWaitReopened++;
                return TimeWaitVerdict.Reopen;
            }
            QueueAck(tuple, ref entry, now); // an old duplicate, or nobody listening: restate where we are (Linux TCP_TW_ACK)
            return TimeWaitVerdict.Handled;
        }
        if (!TcpConnection.IsAcceptable(entry.ReceiveNext, entry.ReceiveWindow, seq, segment.SequenceLength))
        {
            // §3.10.7.4 first: ACK and drop; the peer's FIN again (our last ACK was lost) restarts 2*MSL.
            finished.UnacceptableSegments++;
            if (fin) entry.Deadline = now + entry.Duration;
            QueueAck(tuple, ref entry, now);
            return TimeWaitVerdict.Handled;
        }
        if ((flags & TcpFlags.Ack) == 0) return TimeWaitVerdict.Handled; // §3.10.7.4 fifth: no ACK bit, drop
        // RFC 7323 §4.3 (3): remember the timestamp of a segment that covers what we acknowledged.
        if (ts is { } stamp && seq <= entry.ReceiveNext) entry.TimestampRecent = stamp.Value;
        // A SYN in the window (RFC 5961 §4.2) or an ACK of what we never sent (§5.2) gets a challenge ACK; data or a FIN
        // after the peer's FIN is ignored, and our ACK restates RCV.NXT (§3.10.7.4 seventh). A plain ACK needs nothing.
        if (syn || new SeqNum(segment.AcknowledgmentNumber) > entry.SendNext || segment.Payload.Length > 0 || fin)
            QueueAck(tuple, ref entry, now);
        return TimeWaitVerdict.Handled;
    }

    /// <summary>Writes the queued ACKs, as Linux's tcp_v4_timewait_ack: SEQ = SND.NXT, ACK = RCV.NXT, the last window,
    /// timestamps when the connection used them. Returns false when the writer ran out of buffers (the rest wait).</summary>
    public bool WriteAcks<TWriter>(ref TWriter writer, Instant now, ref int written) where TWriter : struct, ITcpSegmentWriter
    {
        int index = 0;
        for (; index < _acks.Count; index++)
        {
            var tuple = _acks[index];
            ref var entry = ref CollectionsMarshal.GetValueRefOrNullRef(_entries, tuple);
            if (Unsafe.IsNullRef(ref entry)) continue; // expired or reopened since
            var buffer = writer.Begin(tuple.LocalAddress, tuple.RemoteAddress);
            if (buffer.IsEmpty)
            {
                _acks.RemoveRange(0, index);
                return false;
            }
            var options = default(TcpOptions);
            if (entry.Timestamps) options.Timestamps = new TcpTimestamps(TcpConnection.TimestampAt(now, entry.TimestampOffset), entry.TimestampRecent);
            ushort window = (ushort)Math.Min(ushort.MaxValue, entry.ReceiveWindow >> entry.ReceiveWindowShift);
            var header = new TcpHeader(tuple.LocalPort, tuple.RemotePort, entry.SendNext.Value, entry.ReceiveNext.Value, TcpFlags.Ack, window)
            {
                Options = options,
            };
            int length = header.Length;
            header.Emit(buffer[..length], tuple.LocalAddress, tuple.RemoteAddress);
            writer.Commit(length, 0);
            entry.AckQueued = false;
            finished.SegmentsSent++;
            finished.PureAcksSent++;
            written++;
        }
        _acks.Clear();
        return true;
    }

    /// <summary>
    /// Queues the entry's ACK, at most one per <see cref="TimeWaitEntry.AnswerInterval"/>: every segment TIME-WAIT answers is
    /// old or out of window, and a flood of them (forged, or a peer that disagrees) would otherwise be reflected one for
    /// one. Linux limits the same answers, one per tcp_invalid_ratelimit (tcp_timewait_state_process →
    /// tcp_timewait_check_oow_rate_limit, TCPACKSkippedTimeWait); the peer's retransmitted FIN, an RTO apart, is always
    /// answered.
    /// </summary>
    private void QueueAck(in TcpFourTuple tuple, ref TimeWaitEntry entry, Instant now)
    {
        if (entry.AckQueued) return;
        if (entry.LastAnswerAt != default && now - entry.LastAnswerAt < entry.AnswerInterval)
        {
            finished.AnswersRateLimited++;
            return;
        }
        entry.LastAnswerAt = now;
        entry.AckQueued = true;
        _acks.Add(tuple);
    }
}
