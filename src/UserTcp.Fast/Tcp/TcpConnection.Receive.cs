using UserTcp.Fast.Tcp.Sack;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

// Segment arrival (RFC 9293 §3.10.7) and the ACK decision.
internal sealed partial class TcpConnection
{
    /// <summary>Processes one segment for this connection. Returns true when an ACK must go out before the next
    /// segment is processed (the naive policy); otherwise ACKs wait for the end of the receive batch.</summary>
    internal bool OnSegment(in TcpSegment segment, Instant now)
    {
        Stats.SegmentsReceived++;
        if (State == TcpState.SynSent)
        {
            OnSegmentInSynSent(segment, now);
            return false;
        }
        var flags = segment.Flags;
        var seq = new SeqNum(segment.SequenceNumber);
        var options = segment.Options;

        if (State == TcpState.SynReceived && (flags & TcpFlags.Syn) != 0 && seq == _irs)
        {
            if ((flags & TcpFlags.Ack) == 0)
            {
                _synPending = true; // our SYN-ACK was lost and the peer repeats its SYN: answer it again
                _stack.MarkDirty(this);
            }
            else if (ProcessAck(segment, seq, now))
            {
                RequestAck(); // simultaneous open: the peer's SYN-ACK completes it (RFC 9293 §3.5 figure 8)
            }
            return false;
        }

        int sequenceLength = segment.SequenceLength;
        // RFC 7323 §5.3 R1: PAWS drops a segment whose timestamp is older than TS.Recent (never a RST).
        if (_timestamps && options.Timestamps is { } ts && (flags & TcpFlags.Rst) == 0 && unchecked((int)(ts.Value - _tsRecent)) < 0)
        {
            Stats.PawsRejected++;
            if (AnswerAllowed(flags, sequenceLength, now)) AckThisSegment(); // Linux tcp_validate_incoming: tcp_send_dupack
            return false;
        }

        if (!IsAcceptable(seq, sequenceLength))
        {
            // RFC 9293 §3.10.7.4 first: an unacceptable segment gets an ACK (unless it is a RST) and is dropped.
            Stats.UnacceptableSegments++;
            if ((flags & TcpFlags.Rst) != 0) return false;
            if ((flags & TcpFlags.Syn) != 0)
            {
                ChallengeAck(now); // RFC 5961 §4.2: a SYN whatever its sequence number (Linux tcp_validate_incoming: syn_challenge)
                return false;
            }
            if (!AnswerAllowed(flags, sequenceLength, now)) return false;
            if (sequenceLength > 0 && seq < _rcvNxt)
            {
                // Linux tcp_send_dupack: the sender repeated what we have (our ACK was late or lost): report it as a
                // D-SACK (RFC 2883 §4.1) and ACK the next segments at once (tcp_enter_quickack_mode).
                Stats.DuplicateSegments++;
                NoteDuplicate(seq, SeqNum.Min(seq + sequenceLength, _rcvNxt));
                _quickAcksLeft = Math.Max(_quickAcksLeft, _config.QuickAckSegments);
            }
            if (State == TcpState.TimeWait && (flags & TcpFlags.Fin) != 0) _timeWaitAt = now + _config.TimeWaitDuration; // §3.10.7.4: restart 2 MSL
            AckThisSegment();
            return _config.AckPolicy == AckPolicy.Naive;
        }

        if ((flags & TcpFlags.Rst) != 0)
        {
            // RFC 1337 §3 fix (1): a RST never ends TIME-WAIT, or an old duplicate could cut it short and let a new
            // incarnation of the four-tuple meet the old one's segments. Linux does so only with net.ipv4.tcp_rfc1337=1;
            // by default tcp_timewait_state_process (net/ipv4/tcp_minisocks.c) lets a RST kill the timewait socket.
            if (State == TcpState.TimeWait) return false;
            // RFC 5961 §3.2: only a RST exactly at RCV.NXT resets; one elsewhere in the window earns a challenge ACK.
            if (seq == _rcvNxt) ResetByPeer();
            else ChallengeAck(now);
            return false;
        }
        if ((flags & TcpFlags.Syn) != 0)
        {
            ChallengeAck(now); // RFC 5961 §4.2: a SYN in a synchronized state
            return false;
        }
        if ((flags & TcpFlags.Ack) == 0) return false; // §3.10.7.4 fifth: no ACK bit, drop

        if (!ProcessAck(segment, seq, now) || State == TcpState.Closed) return false;

        // RFC 7323 §4.3 (3): remember the timestamp to echo when the segment covers what we last acknowledged. Only once
        // its ACK is acceptable (Linux tcp_ack: tcp_replace_ts_recent after the RFC 5961 §5 check): a forged segment with
        // a far-future TSval would otherwise make PAWS drop everything the real peer sends.
        if (_timestamps && options.Timestamps is { } stamp && seq <= _lastAckSent) _tsRecent = stamp.Value;

        _keepAlivesUnanswered = 0;
        if (!_keepAliveAt.IsNever) ArmKeepAlive(now);

        if (segment.Payload.Length > 0 || (flags & TcpFlags.Fin) != 0)
        {
            if (State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)
            {
                // RFC 1122 §4.2.2.13: new data for an application that is gone is lost; Linux resets likewise
                // (tcp_rcv_state_process, "TCPAbortOnData").
                if (_orphaned && seq + segment.Payload.Length > _rcvNxt)
                {
                    ResetForUnreadData();
                    return false;
                }
                ReceiveText(segment, seq, now);
            }
            else if (State is TcpState.CloseWait or TcpState.Closing or TcpState.LastAck or TcpState.TimeWait)
                RequestAck(); // §3.10.7.4 seventh: text after the peer's FIN is ignored; our ACK restates RCV.NXT
        }
        return _ackNow && (_config.AckPolicy == AckPolicy.Naive || _segmentsSinceAck >= _config.MaxSegmentsPerAck);
    }

    /// <summary>RFC 9293 §3.10.7.4 table: is any of the segment inside the receive window?</summary>
    private bool IsAcceptable(SeqNum seq, int sequenceLength) =>
        IsAcceptable(_rcvNxt, Math.Max(0, _advertisedRightEdge - _rcvNxt), seq, sequenceLength);

    /// <summary>The same test for a receive window of <paramref name="window"/> bytes from <paramref name="rcvNxt"/>
    /// (also what a TIME-WAIT entry applies).</summary>
    internal static bool IsAcceptable(SeqNum rcvNxt, int window, SeqNum seq, int sequenceLength)
    {
        if (sequenceLength == 0)
            return window == 0 ? seq == rcvNxt : seq.InRange(rcvNxt, rcvNxt + window);
        if (window == 0) return false;
        return seq.InRange(rcvNxt, rcvNxt + window) || (seq + (sequenceLength - 1)).InRange(rcvNxt, rcvNxt + window);
    }

    /// <summary>RFC 9293 §3.10.7.3: SYN-SENT.</summary>
    private void OnSegmentInSynSent(in TcpSegment segment, Instant now)
    {
        var flags = segment.Flags;
        var ack = new SeqNum(segment.AcknowledgmentNumber);
        bool hasAck = (flags & TcpFlags.Ack) != 0;
        if (hasAck && (ack <= _iss || ack > _sndMax))
        {
            if ((flags & TcpFlags.Rst) == 0) _stack.QueueReset(Tuple, ack, default, withAck: false);
            return;
        }
        if ((flags & TcpFlags.Rst) != 0)
        {
            if (hasAck) Terminate(TcpError.ConnectionRefused); // a RST without an acceptable ACK is dropped (RFC 5961 §3.2)
            return;
        }
        if ((flags & TcpFlags.Syn) == 0) return;

        _irs = new SeqNum(segment.SequenceNumber);
        _rcvNxt = _irs + 1;
        NegotiateOptions(segment.Options, ourSynHadOptions: true);
        _sndWnd = segment.Window; // RFC 7323 §2.2: never scaled in a SYN
        _maxSndWnd = _sndWnd;
        _sndWl1 = _irs;
        _advertisedRightEdge = _rcvNxt + InitialReceiveWindow();
        if (hasAck)
        {
            _sndWl2 = ack;
            if (_timing && ack > _timedSeq) _rtt.AddSample(now - _timedAt);
            _timing = false;
            _sndUna = ack;
            if (_sndNxt < _sndUna) _sndNxt = _sndUna;
            _retries = 0;
            _retransmitAt = Instant.Never;
            State = TcpState.Established;
            ArmKeepAlive(now);
            RequestAck();
        }
        else
        {
            State = TcpState.SynReceived; // simultaneous open: SYN-ACK with our original ISS
            _synPending = true;
            _stack.MarkDirty(this);
        }
    }

    /// <summary>RFC 9293 §3.10.7.4 fifth: the ACK field. Returns false when the segment must be dropped.</summary>
    private bool ProcessAck(in TcpSegment segment, SeqNum seq, Instant now)
    {
        var ack = new SeqNum(segment.AcknowledgmentNumber);
        if (State == TcpState.SynReceived)
        {
            if (!(ack > _sndUna && ack <= _sndMax))
            {
                _stack.QueueReset(Tuple, ack, default, withAck: false);
                return false;
            }
            State = _finQueued ? TcpState.FinWait1 : TcpState.Established; // closed while in SYN-RECEIVED (Close)
            ArmKeepAlive(now);
            _sndWnd = (long)segment.Window << _sndWndShift;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = seq;
            _sndWl2 = ack;
            Listener?.OnEstablished(this);
        }

        // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]; others get a (challenge) ACK.
        if (ack > _sndMax || ack < _sndUna - (int)Math.Min(_maxSndWnd, int.MaxValue))
        {
            ChallengeAck(now);
            return false;
        }

        bool newSack = _sack && segment.Options.SackBlockCount > 0 && UpdateScoreboard(segment.Options);

        long window = (long)segment.Window << _sndWndShift;
        bool windowChanged = window != _sndWnd;
        // §3.10.7.4: update the send window only from segments not older than the last update.
        if (_sndWl1 < seq || (_sndWl1 == seq && _sndWl2 <= ack))
        {
            _sndWnd = window;
            _maxSndWnd = Math.Max(_maxSndWnd, window);
            _sndWl1 = seq;
            _sndWl2 = ack;
        }
        if (_persisting)
        {
            if (!_orphaned) _retries = 0; // RFC 1122 §4.2.2.17: probing goes on while the peer answers
            if (_sndWnd > 0)
            {
                _persisting = false;
                _probingSince = Instant.Never;
                _retransmitAt = _sndMax == _sndUna ? Instant.Never : now + _rtt.Timeout;
            }
        }

        bool advanced = ack > _sndUna;
        if (advanced)
        {
            OnNewAck(ack, now);
        }
        else if (ack == _sndUna && _sndMax > _sndUna && segment.Payload.Length == 0 && _sndWnd > 0
                 && (segment.Flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0 && (!windowChanged || newSack))
        {
            // RFC 5681 §2 definition (answers to zero-window probes are not duplicates); with SACK,
            // RFC 6675 counts ACKs that SACK new data.
            OnDuplicateAck();
        }
        DetectLoss(now);

        bool finAcked = _finQueued && _sndMax > _finSeq && _sndUna == _finSeq + 1;
        if (finAcked)
        {
            switch (State)
            {
                case TcpState.FinWait1:
                    State = TcpState.FinWait2;
                    if (_orphaned) ArmFinWait2Timeout(now);
                    break;
                case TcpState.Closing:
                    EnterTimeWait(now);
                    break;
                case TcpState.LastAck:
                    Terminate(TcpError.None);
                    return false;
            }
        }
        if (advanced || windowChanged) _stack.MarkDirty(this); // room to send more
        return true;
    }

    /// <summary>RFC 9293 §3.10.7.4 seventh and eighth: segment text and FIN.</summary>
    private void ReceiveText(in TcpSegment segment, SeqNum seq, Instant now)
    {
        var payload = segment.Payload;
        bool fin = (segment.Flags & TcpFlags.Fin) != 0;
        SeqNum finSeq = seq + payload.Length;

        // Trim what we already have on the left, and what does not fit in the buffer on the right.
        int skip = Math.Max(0, _rcvNxt - seq);
        if (skip > payload.Length) skip = payload.Length;
        var data = payload[skip..];
        SeqNum start = seq + skip;
        int offset = start - _rcvNxt;
        // Room counted from the read position the returned chunks went by (ChunkedByteBuffer.Reclaim).
        long read = _receiveBuffer.Reclaim();
        int room = _receiveBuffer.Limit - (int)(_receiveBuffer.WrittenPosition - read) - offset;
        if (data.Length > room)
        {
            data = data[..Math.Max(0, room)];
            fin = false; // the FIN lies beyond what we keep
        }

        bool ackThisSegment = false; // after the FIN too, so that one ACK covers both
        if (data.Length > 0)
        {
            // RFC 2883 §4.2 (Linux tcp_data_queue, tcp_data_queue_ofo): the part already received, below RCV.NXT or in
            // the first held range the data overlaps, is reported as a D-SACK.
            if (skip > 0) NoteDuplicate(seq, start);
            else if (_outOfOrder.TryFindOverlap(start, start + data.Length, out var held))
            {
                NoteDuplicate(held.Start, held.End);
                if (held.Length == data.Length) Stats.DuplicateSegments++;
            }
            Stats.DataSegmentsReceived++;
            Stats.BytesReceived += data.Length;
            OnDataArrival(payload.Length, (segment.Flags & TcpFlags.Psh) != 0, now);
            if (offset == 0)
            {
                if (_outOfOrder.IsEmpty && _receiveBuffer.TryDeliverDirect(data) is var direct and > 0)
                {
                    // Straight into a blocked reader's buffer (ChunkedByteBuffer: direct delivery), read as it lands.
                    Stats.BytesReadDirectly += direct;
                    _rcvNxt += direct;
                    start += direct;
                    data = data[direct..];
                }
                WriteUnheld(start, data);
                SeqNum end = _rcvNxt + data.Length;
                bool hadHoles = !_outOfOrder.IsEmpty;
                SeqNum next = _outOfOrder.Advance(end);
                _receiveBuffer.Commit(next - _rcvNxt); // one publication for the segment and the held data it joins
                _rcvNxt = next;
                AdjustReceiveSpace(now);
                RecordArrival(end, now);
                if (hadHoles) ackThisSegment = true; // RFC 5681 §4.2: ACK at once when a segment fills (part of) a hole
                else DecideAckForInOrderData(now);
            }
            else
            {
                Stats.OutOfOrderSegments++;
                if (_outOfOrder.CanAdd(start, start + data.Length))
                {
                    WriteUnheld(start, data); // before the range joins the held ones, whose bytes it must not overwrite
                    _outOfOrder.Add(start, start + data.Length);
                    RecordArrival(start + data.Length, now);
                }
                else
                {
                    Stats.ReassemblyRefused++;
                }
                ackThisSegment = true; // RFC 5681 §4.2: a duplicate ACK for every out-of-order segment, with its SACK blocks
            }
        }
        else if (payload.Length > 0)
        {
            Stats.DuplicateSegments++;
            RequestAck();
        }

        if (fin)
        {
            _peerFinPending = true;
            _peerFinSeq = finSeq;
        }
        if (_peerFinPending && _rcvNxt == _peerFinSeq) ReceiveFin(now);
        if (ackThisSegment) AckThisSegment();
    }

    /// <summary>
    /// Writes the bytes of <paramref name="data"/> (from <paramref name="start"/>) that no held out-of-order range already
    /// has: where copies of a sequence number differ, the first received wins, as Linux's tcp_data_queue_ofo keeps what is
    /// queued (except that there a segment covering a queued one from the same start replaces it), and the application
    /// reads each byte once.
    /// </summary>
    private void WriteUnheld(SeqNum start, ReadOnlySpan<byte> data)
    {
        SeqNum end = start + data.Length, cursor = start;
        for (int i = 0; i < _outOfOrder.RangeCount && cursor < end; i++)
        {
            var held = _outOfOrder[i];
            if (held.End <= cursor) continue;
            if (held.Start >= end) break;
            if (held.Start > cursor) _receiveBuffer.WriteAt(cursor - _rcvNxt, data.Slice(cursor - start, held.Start - cursor));
            cursor = held.End;
        }
        if (cursor < end) _receiveBuffer.WriteAt(cursor - _rcvNxt, data[(cursor - start)..]);
    }

    /// <summary>
    /// RFC 2883 §4, Linux tcp_dsack_set: data we already had arrived again; the next segment we send reports
    /// [<paramref name="start"/>, <paramref name="end"/>) as its first SACK block, once. A later duplicate that touches a
    /// pending one extends it (tcp_dsack_extend), as a burst of spurious retransmissions does; another replaces it.
    /// </summary>
    private void NoteDuplicate(SeqNum start, SeqNum end)
    {
        if (!_sack || end - start <= 0) return;
        if (_dsackPending && start <= _dsack.End && end >= _dsack.Start)
        {
            _dsack = new SeqRange(SeqNum.Min(start, _dsack.Start), SeqNum.Max(end, _dsack.End));
            return;
        }
        _dsackPending = true;
        _dsack = new SeqRange(start, end);
    }

    /// <summary>RFC 9293 §3.10.7.4 eighth: the FIN, once every byte before it has arrived.</summary>
    private void ReceiveFin(Instant now)
    {
        _peerFinPending = false;
        _peerFinReceived = true;
        _rcvNxt += 1;
        RequestAck(); // a FIN is ACKed at once
        switch (State)
        {
            case TcpState.SynReceived or TcpState.Established:
                State = TcpState.CloseWait;
                break;
            case TcpState.FinWait1:
                State = TcpState.Closing; // simultaneous close: our FIN not yet acknowledged
                break;
            case TcpState.FinWait2:
                EnterTimeWait(now);
                break;
        }
    }

    /// <summary>
    /// Cumulative policy, as Linux's __tcp_ack_snd_check (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2, RFC 5681 §4.2): the ACK is
    /// due at once in quick-ack mode, and once more than <see cref="TcpConfig.AckEverySegments"/> - 1 segments of the
    /// sender's measured size (<see cref="OnDataArrival"/>) are unacknowledged, whatever the sizes of the segments that
    /// brought them; due ACKs leave at the end of the receive batch, or in its middle every
    /// <see cref="TcpConfig.MaxSegmentsPerAck"/> segments. Otherwise the delayed-ACK timer, unless the reader drains the
    /// data first (<see cref="PushedDataDrained"/>). In ping-pong mode (<see cref="NoteDataSent"/>) there is no quick-ack:
    /// our next data segment is expected to carry the ACK (Linux tcp_in_quickack_mode). Naive policy: every segment at once.
    /// </summary>
    private void DecideAckForInOrderData(Instant now)
    {
        if (_config.AckPolicy == AckPolicy.Naive || (_quickAcksLeft > 0 && !_pingPong))
        {
            if (_quickAcksLeft > 0) _quickAcksLeft--;
            RequestAck();
            return;
        }
        _segmentsSinceAck++;
        if (_rcvNxt - _lastAckSent > (_config.AckEverySegments - 1) * _receiveMss)
        {
            RequestAck();
        }
        else if (_delayedAckAt.IsNever)
        {
            _delayedAckAt = now + _config.DelayedAckTimeout;
        }
    }

    /// <summary>
    /// What arriving data tells the ACK rules. After an idle period longer than the RTO the connection goes back to
    /// quick-ack mode (Linux tcp_event_data_recv → tcp_incr_quickack), so the first segments of a new burst are ACKed at
    /// once. The sender's segment size is measured as Linux's tcp_measure_rcv_mss does: up at once to anything larger, down
    /// when two segments in a row agree on a smaller size (MSS clamping on a VPN or PPPoE path, a sender writing 1000-byte
    /// pieces); a GSO super-frame counts by the segment size a sender honouring our MSS uses, not as one huge segment.
    /// A short segment (or one with PSH, RFC 9293 §3.9.1) marks the data as pushed: a reader who drains it then gets
    /// the pending ACK at once instead of after the delayed-ACK timer.
    /// </summary>
    private void OnDataArrival(int payloadLength, bool push, Instant now)
    {
        if (!_lastDataAt.IsNever && now - _lastDataAt > _rtt.Timeout) _quickAcksLeft = Math.Max(_quickAcksLeft, _config.QuickAckSegments);
        _lastDataAt = now;

        int length = Math.Min(payloadLength, _config.MaxSegmentSize - (_timestamps ? 12 : 0));
        int previousShort = _lastShortSegment;
        _lastShortSegment = 0;
        if (push) MarkPushed();
        if (length >= _receiveMss)
        {
            _receiveMss = length;
            return;
        }
        if (length >= DefaultReceiveMss || (length >= MinimumReceiveMss && !push))
        {
            _lastShortSegment = length;
            if (length == previousShort)
            {
                _receiveMss = length;
                return;
            }
        }
        if (!push) MarkPushed();
    }

    /// <summary>
    /// Linux tcp_event_data_sent: data we send within the delayed-ACK time of the last data that arrived answers it, so the
    /// exchange is interactive (RFC 1122 §4.2.3.2) and the connection enters ping-pong mode, where ACKs wait to ride on our
    /// next answer instead of leaving as quick-acks. It leaves when the delayed-ACK timer has to send one
    /// (tcp_delack_timer_handler). Before any data has arrived nothing is answered (Linux's ato is still 0 then).
    /// </summary>
    private void NoteDataSent(Instant now)
    {
        if (!_lastDataAt.IsNever && now - _lastDataAt < _config.DelayedAckTimeout) _pingPong = true;
    }

    private void MarkPushed()
    {
        _ackPushedTwice = _ackPushed;
        _ackPushed = true;
    }

    /// <summary>
    /// Linux's tcp_cleanup_rbuf: when the reader has emptied the receive queue and an ACK is pending for data that was
    /// pushed or short, the ACK leaves now; the delayed-ACK timer is only for a tail nobody is reading. In ping-pong mode
    /// one pushed segment is not enough (ICSK_ACK_PUSHED2): the reader's answer will carry the ACK.
    /// </summary>
    private bool PushedDataDrained() =>
        _receiveBuffer.Count == 0 && PushedAckWaiting && State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2;

    private bool PushedAckWaiting => !_delayedAckAt.IsNever && (_ackPushedTwice || (_ackPushed && !_pingPong));

    /// <summary>
    /// The read position at which <see cref="OnApplicationRead"/> would find an ACK due: the window update of
    /// <see cref="WindowUpdateWorthSending"/> (free space = limit - (written - read) reaching its threshold) or the drained
    /// pushed data of <see cref="PushedDataDrained"/>. long.MaxValue when no read can make one due. Computed after the
    /// receive batch; the flush after it only raises the window we offered, which makes a stale position early (a spare
    /// nudge), never late.
    /// </summary>
    private long ReaderWakePosition()
    {
        if (State is not (TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)) return long.MaxValue;
        long written = _receiveBuffer.WrittenPosition;
        int limit = _receiveBuffer.Limit;
        int offered = Math.Max(0, _advertisedRightEdge - _rcvNxt);
        long wake = long.MaxValue;
        if (offered < _config.MaxSegmentSize) wake = written - limit + offered + SwsThreshold(limit);
        else if (offered * 2L <= limit) wake = written - limit + 2L * offered;
        if (PushedAckWaiting) wake = Math.Min(wake, written);
        return wake;
    }

    /// <summary>
    /// Receive-buffer auto-tuning (dynamic right-sizing), as Linux's tcp_rcv_space_adjust (net/ipv4/tcp_input.c): once per
    /// RTT, if the application read more than in the last measured RTT, the receive space grows to twice that plus 16
    /// segments, plus twice the growth again for a sender still in slow start, up to <see cref="TcpConfig.ReceiveBufferSize"/>;
    /// it never shrinks (the right edge of the window must not move left, RFC 9293 §3.8.6.2.2). Linux runs it in
    /// tcp_recvmsg; here the reader runs on another thread, so it runs as data arrives, counting what the reader has
    /// read by then. The RTT is the connection's smoothed one (the handshake gives a sample in either direction).
    /// </summary>
    private void AdjustReceiveSpace(Instant now)
    {
        long read = _receiveBuffer.ReadPosition;
        if (_rcvSpaceTime.IsNever)
        {
            _rcvSpaceTime = now;
            _rcvSpaceRead = read;
            return;
        }
        var rtt = _rtt.SmoothedRtt;
        if (rtt <= TimeSpan.Zero || now - _rcvSpaceTime < rtt) return;
        long copied = read - _rcvSpaceRead;
        if (copied > _rcvSpace)
        {
            int limit = _receiveBuffer.Limit;
            if (limit < _receiveBuffer.Capacity)
            {
                long window = 2 * copied + 16L * _config.MaxSegmentSize;
                window += 2 * (window * (copied - _rcvSpace) / Math.Max(1, _rcvSpace));
                if (window > limit) _receiveBuffer.Limit = (int)Math.Min(window, _receiveBuffer.Capacity);
            }
            _rcvSpace = (int)Math.Min(copied, int.MaxValue);
        }
        _rcvSpaceRead = read;
        _rcvSpaceTime = now;
    }

    /// <summary>RFC 5961 §7: challenge ACKs, rate-limited per connection (<see cref="TakeAnswerToken"/>).</summary>
    private void ChallengeAck(Instant now)
    {
        if (!TakeAnswerToken(now)) return;
        Stats.ChallengeAcksSent++;
        AckThisSegment();
    }

    /// <summary>
    /// Linux tcp_oow_rate_limited: the duplicate ACK that answers an unacceptable (out-of-window or PAWS-failed) segment
    /// without data takes from the challenge ACKs' budget, so that a flood of forged ACKs is not reflected one for one and
    /// two stacks that disagree cannot loop ACKs forever. Data segments are always answered: they are the peer's
    /// retransmissions, and its recovery waits for the duplicate ACK (D-SACK).
    /// </summary>
    private bool AnswerAllowed(TcpFlags flags, int sequenceLength, Instant now) =>
        (sequenceLength > 0 && (flags & TcpFlags.Syn) == 0) || TakeAnswerToken(now);

    /// <summary>
    /// RFC 5961 §7: at most <see cref="TcpConfig.ChallengeAcksPerSecond"/> answers to suspicious segments per connection and
    /// second. Per connection only, with no global count: Linux's global tcp_challenge_ack_limit was the side channel of
    /// CVE-2016-5696 (an off-path attacker counting another connection's challenge ACKs) and is off by default since
    /// Linux 6.0; its per-socket limit (tcp_invalid_ratelimit, one per 500 ms) remains.
    /// </summary>
    private bool TakeAnswerToken(Instant now)
    {
        long second = now.Nanoseconds / 1_000_000_000;
        if (second != _challengeWindowStart)
        {
            _challengeWindowStart = second;
            _challengeAcksInWindow = 0;
        }
        if (_challengeAcksInWindow >= _config.ChallengeAcksPerSecond)
        {
            Stats.AnswersRateLimited++;
            return false;
        }
        _challengeAcksInWindow++;
        return true;
    }

    /// <summary>
    /// An ACK for this segment alone, as Linux sends one at once for each out-of-order segment, hole fill, duplicate and
    /// challenge (tcp_send_dupack, __tcp_ack_snd_check, tcp_send_challenge_ack): queued with the acknowledgment number and
    /// SACK blocks (D-SACK first) of this moment, it leaves with the batch's flush, before anything newer, unless a later
    /// segment of the batch has since moved RCV.NXT on (<see cref="WriteImmediateAck"/>). As good as sent for the ACK
    /// rules. When the queue is full the newest state goes out in the usual cumulative ACK instead.
    /// </summary>
    private void AckThisSegment()
    {
        if (_config.AckPolicy == AckPolicy.Naive || _immediateAcks.IsFull)
        {
            RequestAck();
            return;
        }
        bool dsack = _sack && _dsackPending;
        int blocks = _sack ? WriteSackBlocks(_immediateAcks.NextBlocks) : 0;
        _immediateAcks.Enqueue(_rcvNxt, blocks, dsack);
        SettleAck();
        _stack.MarkDirty(this);
    }

    /// <summary>RFC 9293 §3.10.7.4 second, for a RST exactly at RCV.NXT.</summary>
    private void ResetByPeer()
    {
        switch (State)
        {
            case TcpState.SynReceived:
                // From a passive open the connection just returns to LISTEN (the listener forgets it).
                Terminate(Listener is null ? TcpError.ConnectionRefused : TcpError.None);
                break;
            case TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.CloseWait:
                Terminate(TcpError.ConnectionReset);
                break;
            default:
                Terminate(TcpError.None); // CLOSING, LAST-ACK
                break;
        }
    }

    /// <summary>
    /// TIME-WAIT, for as long as it takes to send what is due (the ACK of the peer's FIN): the stack's flush then keeps
    /// a <see cref="TimeWaitEntry"/> instead of this connection (<see cref="LeaveForTimeWait"/>).
    /// </summary>
    private void EnterTimeWait(Instant now)
    {
        State = TcpState.TimeWait;
        _timeWaitAt = now + _config.TimeWaitDuration;
        _retransmitAt = _keepAliveAt = Instant.Never;
        _persisting = false;
        ReleaseBuffers();
        _stack.MarkDirty(this);
    }

    /// <summary>
    /// Linux's tcp_time_wait then tcp_done: what TIME-WAIT needs goes into a <see cref="TimeWaitEntry"/>, and this
    /// connection is CLOSED without an error, as the application sees a Linux socket whose connection went into
    /// TIME-WAIT. Bytes the application has not read yet stay readable; the stack forgets the connection.
    /// </summary>
    internal TimeWaitEntry LeaveForTimeWait()
    {
        var entry = new TimeWaitEntry
        {
            SendNext = _sndMax,
            ReceiveNext = _rcvNxt,
            ReceiveWindow = Math.Max(0, _advertisedRightEdge - _rcvNxt),
            ReceiveWindowShift = _rcvWndShift,
            Timestamps = _timestamps,
            TimestampRecent = _tsRecent,
            TimestampOffset = _tsOffset,
            Duration = _config.TimeWaitDuration,
            Deadline = _timeWaitAt,
            AnswerInterval = TimeSpan.FromTicks(TimeSpan.TicksPerSecond / _config.ChallengeAcksPerSecond),
        };
        State = TcpState.Closed;
        _timeWaitAt = _delayedAckAt = Instant.Never;
        _ackNow = false;
        _immediateAcks.Clear();
        return entry;
    }

    /// <summary>Remembers when data ending at <paramref name="end"/> arrived, to measure the delay until an ACK covers it.</summary>
    private void RecordArrival(SeqNum end, Instant now)
    {
        if (_arrivalCount == LatencySlots)
        {
            _arrivalHead = (_arrivalHead + 1) % LatencySlots; // full: forget the oldest rather than allocate
            _arrivalCount--;
        }
        int slot = (_arrivalHead + _arrivalCount) % LatencySlots;
        _arrivalEnd[slot] = end;
        _arrivalAt[slot] = now.Nanoseconds;
        _arrivalCount++;
    }
}
