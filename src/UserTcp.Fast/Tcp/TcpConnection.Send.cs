using UserTcp.Fast.Tcp.Sack;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

// Output: what to send next, loss recovery (RFC 5681, 6582, 6675), and segment construction.
internal sealed partial class TcpConnection
{
    private bool _retransmitFirstNow; // the first retransmission of a recovery ignores cwnd (RFC 5681 §3.2 step 3, RFC 6675 §5 step 4)
    private int _limitedTransmitAllowance; // RFC 3042: bytes the first two duplicate ACKs let past cwnd

    /// <summary>The payload per wire segment of the segment <see cref="WriteNextSegment"/> wrote last when it carries several
    /// (the device segments it: <see cref="ITcpSegmentWriter.Commit(int, int)"/>), else 0.</summary>
    internal int OffloadSegmentSize { get; private set; }

    /// <summary>Writes the next segment this connection has to send into <paramref name="segment"/> (TCP header and
    /// payload, checksummed); returns its length, or 0 when there is nothing to send now.</summary>
    internal int WriteNextSegment(Span<byte> segment, Instant now)
    {
        OffloadSegmentSize = 0;
        if (State is TcpState.Closed or TcpState.Listen) return 0;
        if (_synPending) return WriteSyn(segment, now);
        if (State == TcpState.SynSent) return 0;
        if (_immediateAcks.Count > 0 && WriteImmediateAck(segment, now) is var immediate and > 0) return immediate;

        // RFC 9293 §3.10.2: data written in a simultaneous open's SYN-RECEIVED waits for ESTABLISHED (Linux's
        // tcp_sendmsg waits for the connection): our SYN is not acknowledged yet, and a retransmission from SND.UNA (the
        // ISS) would read before the send buffer's first byte (found by fuzzing: FuzzFindingsTests).
        if (State != TcpState.SynReceived)
        {
            if (_inRecovery && TryNextRetransmission(out SeqNum rtxSeq, out int rtxLength))
                return WriteData(segment, rtxSeq, rtxLength, now);
            if (_probePending)
            {
                _probePending = false;
                Stats.ZeroWindowProbes++;
                // RFC 9293 §3.8.6.1: probe a zero window with one byte of data.
                return WriteData(segment, _sndNxt, Math.Min(1, DataEnd - _sndNxt), now);
            }
            if (TryNextNewData(now, out int length))
                return WriteData(segment, _sndNxt, length, now);
        }
        if (_keepAlivePending)
        {
            _keepAlivePending = false;
            Stats.KeepAlivesSent++;
            // RFC 1122 §4.2.3.6: an old sequence number makes the peer answer with an ACK.
            return WriteSegment(segment, _sndUna - 1, TcpFlags.Ack, 0, CurrentOptions(now), now);
        }
        if (_ackNow || _delayedAckAt <= now)
        {
            // RFC 9293's SND.NXT is the highest sequence number sent: our _sndNxt rewinds after a timeout, and an
            // ACK carrying that old number would be unacceptable to the peer (§3.10.7.4), its ACK field unread.
            Stats.PureAcksSent++;
            return WriteSegment(segment, _sndMax, TcpFlags.Ack, 0, CurrentOptions(now), now);
        }
        return 0;
    }

    /// <summary>
    /// The oldest ACK <see cref="AckThisSegment"/> queued that still describes the receiver: one per out-of-order segment
    /// whose hole is still open when the batch's ACKs are written. An ACK whose RCV.NXT a later segment of the same batch
    /// has moved on is not sent: a hole that lived only inside one receive batch was reordering the cumulative ACK covers,
    /// and showing it to the sender made Linux's RACK mark the segments lost and retransmit them (A/B in the commit that
    /// added this). Its D-SACK block still goes out, with today's acknowledgment number and SACK blocks. Returns 0 when
    /// nothing queued is left to send; the cumulative ACK then follows.
    /// </summary>
    private int WriteImmediateAck(Span<byte> segment, Instant now)
    {
        while (_immediateAcks.Count > 0)
        {
            var blocks = _immediateAcks.Peek(out SeqNum ack, out bool dsack);
            var options = default(TcpOptions);
            if (_timestamps) options.Timestamps = new TcpTimestamps(TimestampNow(now), _tsRecent);
            if (ack == _rcvNxt)
            {
                AddSackBlocks(ref options, blocks);
                _immediateAcks.Dequeue();
                Stats.PureAcksSent++;
                return WriteSegment(segment, _sndMax, TcpFlags.Ack, 0, options, now, settles: false);
            }
            if (_immediateAcks.Count == 1) _ackNow = true; // superseded: the batch's cumulative ACK answers for it
            if (dsack)
            {
                Span<SeqRange> current = stackalloc SeqRange[TcpOptions.MaxSackBlocks];
                current[0] = blocks[0]; // the queued D-SACK block, then the ranges held now
                AddSackBlocks(ref options, current[..(1 + _outOfOrder.WriteSackBlocks(current[1..]))]);
                _immediateAcks.Dequeue();
                Stats.PureAcksSent++;
                return WriteSegment(segment, _sndMax, TcpFlags.Ack, 0, options, now);
            }
            _immediateAcks.Dequeue();
        }
        return 0;
    }

    /// <summary>End of the data to send: the FIN's place once queued (the application may not add more, and a write
    /// racing the stream's shutdown must not be sent past it).</summary>
    private SeqNum DataEnd => _finQueued ? _finSeq : _ringSeq + _sendBuffer.Count;
    private int FlightSize => _sndMax - _sndUna;

    /// <summary>New data (or the FIN) at SND.NXT that the windows, Nagle and sender SWS avoidance allow now.</summary>
    private bool TryNextNewData(Instant now, out int length)
    {
        length = 0;
        int available = Math.Max(0, DataEnd - _sndNxt);
        bool finUnsent = _finQueued && _sndNxt <= _finSeq;
        if (available == 0 && !finUnsent) return false;

        long peerRoom = _sndWnd - (_sndNxt - _sndUna); // SND.UNA + SND.WND - SND.NXT
        long congestionRoom = _inRecovery ? _congestion.Window - Pipe()
            : _congestion.Window + _limitedTransmitAllowance - (_sndNxt - _sndUna); // RFC 3042: cwnd + 2*SMSS at most
        int usable = (int)Math.Clamp(Math.Min(peerRoom, congestionRoom), 0, int.MaxValue);
        int wanted = Math.Min(available, MaxPayload(_sendMss));
        length = Math.Min(wanted, usable);
        if (length > _sendMss)
        {
            // Several MSS in one offloaded segment, cut as Linux's tcp_mss_split_point cuts a TSO burst: whole segments only,
            // unless the tail is the end of the data and Nagle would let it go alone (no delay, or the FIN goes with it); a
            // tail left behind follows the rules below in the next call, as the segment after full ones would.
            int tail = length % _sendMss;
            if (length < available || (!NoDelay && !finUnsent)) length -= tail;
            return true;
        }

        if (available > 0 && length == 0)
        {
            // Zero window with nothing in flight: the persist timer probes it (RFC 9293 §3.8.6.1).
            if (peerRoom <= 0 && _sndNxt == _sndUna && !_persisting)
            {
                _persisting = true;
                _retransmitAt = now + _rtt.Timeout;
            }
            return false;
        }
        if (length < wanted)
        {
            // RFC 9293 §3.8.6.2.1 sender SWS: a partial segment only if it is at least half the largest window seen,
            // or when nothing is in flight (no ACK will come to open the window further: the override case).
            if (length < _maxSndWnd / 2 && _sndNxt != _sndUna) return false;
        }
        else if (length < _sendMss && !NoDelay && _sndNxt > _sndUna && _sndNxt >= _sndMax && !finUnsent)
        {
            // Nagle (RFC 9293 §3.7.4): one small segment outstanding at a time. Not for data sent before (going back after
            // a timeout or a smaller path MTU): a piece the new cut left short is not new data to hold.
            return false;
        }
        return true;
    }

    /// <summary>RFC 6675 §4 NextSeg (1): the first lost, not yet retransmitted range; without SACK, the segment at
    /// SND.UNA after entering recovery or a partial ACK (RFC 6582 §3.2).</summary>
    private bool TryNextRetransmission(out SeqNum seq, out int length)
    {
        seq = default;
        length = 0;
        bool first = _retransmitFirstNow;
        int room = _congestion.Window - Pipe();
        if (!first && room < Math.Min(_sendMss, Math.Max(1, DataEnd - _sndUna))) return false;
        if (!_sack || _scoreboard.IsEmpty)
        {
            if (_highRxt > _sndUna) return false;
            seq = _sndUna;
        }
        else if (!TryFirstLostUnretransmitted(out seq))
        {
            return false;
        }
        length = Math.Min(_sendMss, Math.Max(0, SeqNum.Min(DataEnd, HoleEnd(seq)) - seq));
        if (length == 0 && !(_finQueued && seq == _finSeq)) return false;
        _retransmitFirstNow = false;
        return true;
    }

    /// <summary>End of the unSACKed hole containing <paramref name="seq"/>.</summary>
    private SeqNum HoleEnd(SeqNum seq)
    {
        for (int i = 0; i < _scoreboard.RangeCount; i++)
            if (_scoreboard[i].Start > seq) return _scoreboard[i].Start;
        return _sndMax;
    }

    /// <summary>Walks the holes below the highest SACKed byte for the first lost one at or above HighRxt.</summary>
    private bool TryFirstLostUnretransmitted(out SeqNum seq)
    {
        SeqNum holeStart = _sndUna;
        for (int i = 0; i < _scoreboard.RangeCount; i++)
        {
            var sacked = _scoreboard[i];
            if (holeStart < sacked.Start && IsLost(holeStart, i))
            {
                SeqNum candidate = SeqNum.Max(holeStart, _highRxt);
                if (candidate < sacked.Start)
                {
                    seq = candidate;
                    return true;
                }
            }
            holeStart = SeqNum.Max(holeStart, sacked.End);
        }
        seq = default;
        return false;
    }

    /// <summary>RFC 6675 §4 IsLost: DupThresh SACKed ranges above the hole, or more than (DupThresh-1)*SMSS SACKed bytes.</summary>
    private bool IsLost(SeqNum holeStart, int firstRangeAbove)
    {
        int ranges = _scoreboard.RangeCount - firstRangeAbove;
        if (ranges >= _config.DuplicateAckThreshold) return true;
        long bytes = 0;
        for (int i = firstRangeAbove; i < _scoreboard.RangeCount; i++) bytes += _scoreboard[i].Length;
        return bytes > (long)(_config.DuplicateAckThreshold - 1) * _sendMss;
    }

    /// <summary>
    /// RFC 6675 §4 SetPipe: bytes believed in the network. Outstanding minus SACKed minus lost-and-not-yet-retransmitted.
    /// Without SACK each duplicate ACK stands for one segment that left the network (RFC 5681 §3.2 step 4).
    /// </summary>
    private int Pipe()
    {
        int outstanding = _sndNxt - _sndUna;
        if (!_sack || _scoreboard.IsEmpty)
        {
            int delivered = _duplicateAcks * _sendMss;
            int notRetransmitted = _highRxt > _sndUna ? 0 : Math.Min(_sendMss, outstanding);
            return Math.Max(0, outstanding - delivered - notRetransmitted);
        }
        long pipe = _sndMax - _sndUna - _scoreboard.TotalLength;
        SeqNum holeStart = _sndUna;
        for (int i = 0; i < _scoreboard.RangeCount; i++)
        {
            var sacked = _scoreboard[i];
            if (holeStart < sacked.Start && IsLost(holeStart, i))
            {
                SeqNum unsent = SeqNum.Max(holeStart, _highRxt);
                if (unsent < sacked.Start) pipe -= sacked.Start - unsent;
            }
            holeStart = SeqNum.Max(holeStart, sacked.End);
        }
        return (int)Math.Max(0, pipe);
    }

    /// <summary>RFC 2018 §3 / RFC 6675 §5: record what the peer SACKed above SND.UNA. Returns true if it SACKed new data.</summary>
    private bool UpdateScoreboard(in TcpOptions options)
    {
        long before = _scoreboard.TotalLength;
        for (int i = 0; i < options.SackBlockCount; i++)
        {
            var block = options.GetSackBlock(i);
            var left = SeqNum.Max(new SeqNum(block.Left), _sndUna);
            var right = SeqNum.Min(new SeqNum(block.Right), _sndMax);
            if (right > left) _scoreboard.Add(left, right); // a full scoreboard keeps its ranges: SACK is advisory
        }
        return _scoreboard.TotalLength > before;
    }

    /// <summary>A cumulative ACK of new data (RFC 9293 §3.10.7.4, RFC 6298 §5.2–5.3, RFC 6582 §3.2 steps 3–4).</summary>
    private void OnNewAck(SeqNum ack, Instant now)
    {
        int flightBefore = FlightSize;
        int acked = ack - _sndUna;
        int dataAcked = Math.Clamp(ack - _ringSeq, 0, _sendBuffer.Count);
        if (dataAcked > 0)
        {
            _sendBuffer.Discard(dataAcked); // chunks wholly acknowledged go back to the pool
            if (_sendBuffer.Count == 0) _sendBuffer.ReleaseTail(); // and the last one when nothing is left: idle holds none
            _ringSeq += dataAcked;
        }
        _sndUna = ack;
        if (_sndNxt < _sndUna) _sndNxt = _sndUna;
        if (_highRxt < _sndUna) _highRxt = _sndUna;
        _scoreboard.DropBelow(ack);
        if (_timing && ack > _timedSeq)
        {
            _rtt.AddSample(now - _timedAt);
            _timing = false;
        }
        _retries = 0;
        _retransmittingSince = Instant.Never;

        _limitedTransmitAllowance = 0;
        if (_inRecovery)
        {
            if (ack >= _recover)
            {
                _inRecovery = false;
                _duplicateAcks = 0;
                _congestion.OnRecoveryExit(FlightSize, now);
            }
            else if (!_sack || _scoreboard.IsEmpty)
            {
                // Partial ACK: the next hole is at SND.UNA; retransmit it at once (RFC 6582 §3.2 step 4).
                _duplicateAcks = 0;
                _retransmitFirstNow = true;
            }
        }
        else
        {
            _duplicateAcks = 0;
            _congestion.OnAcked(acked, flightBefore, now, _rtt.SmoothedRtt);
            ExpandSendBuffer();
        }
        _retransmitAt = _sndMax == _sndUna ? Instant.Never : now + _rtt.Timeout;
    }

    /// <summary>
    /// Linux tcp_sndbuf_expand (net/ipv4/tcp_input.c): the send buffer offers the application room for about twice the
    /// congestion window (at least the initial window's ten segments), so that CUBIC's recovery (a factor 1.7, rounded up)
    /// finds data queued; never beyond <see cref="TcpConfig.SendBufferSize"/>, never shrinking. Its memory is what is
    /// queued, not this room.
    /// </summary>
    private void ExpandSendBuffer()
    {
        long wanted = 2L * Math.Max(_congestion.Window, _config.InitialWindowSegments * _sendMss);
        if (wanted > _sendBuffer.Limit) _sendBuffer.Limit = (int)Math.Min(wanted, _sendBuffer.Capacity);
    }

    /// <summary>RFC 5681 §2: one more duplicate ACK. The first two may each release a new segment (RFC 3042).</summary>
    private void OnDuplicateAck()
    {
        _duplicateAcks++;
        Stats.DuplicateAcksReceived++;
        if (!_inRecovery && _duplicateAcks <= 2) _limitedTransmitAllowance += _sendMss;
    }

    /// <summary>
    /// After every ACK: does the scoreboard or the duplicate-ACK count now say a segment is lost? RFC 6675 §5
    /// (DupAcks &gt;= DupThresh or IsLost(HighACK + 1), for any ACK carrying SACK, cumulative or not), RFC 5681
    /// §3.2 without SACK, and RFC 5827 early retransmit when too few segments are outstanding for either.
    /// </summary>
    private void DetectLoss(Instant now)
    {
        if (_inRecovery || _sndMax == _sndUna) return;
        // RFC 6582 §3.2 step 2: only once the ACK covers more than "recover" (one reduction per window of data).
        // _recover holds SND.MAX at the time, one past the highest byte sent, so reaching it is enough.
        if (_sndUna < _recover) return;
        bool lost = _duplicateAcks >= _config.DuplicateAckThreshold
                    || (_sack && !_scoreboard.IsEmpty && IsLost(_sndUna, 0))
                    || EarlyRetransmitDue();
        if (!lost) return;
        _inRecovery = true;
        _recover = _sndMax;
        _highRxt = _sndUna;
        _retransmitFirstNow = true;
        _limitedTransmitAllowance = 0;
        Stats.FastRetransmits++;
        _timing = false; // Karn: the timed segment may be the one we retransmit
        _congestion.OnCongestionEvent(FlightSize, now);
        _stack.MarkDirty(this);
    }

    /// <summary>
    /// RFC 5827 §3.1–3.2: with fewer than four segments outstanding and no new data to send, the duplicate-ACK
    /// threshold drops to (outstanding segments - 1), counted in duplicate ACKs or, with SACK, in SACKed segments.
    /// </summary>
    private bool EarlyRetransmitDue()
    {
        if (DataEnd - _sndNxt > 0) return false;
        int outstanding = (FlightSize + _sendMss - 1) / _sendMss;
        if (outstanding is < 2 or >= 4) return false;
        int evidence = _sack ? (int)(_scoreboard.TotalLength / _sendMss) : _duplicateAcks;
        return evidence >= outstanding - 1;
    }

    /// <summary>Data (and the FIN when it follows this data) from <paramref name="seq"/>: at most <paramref name="length"/>
    /// bytes, fewer when this segment's options leave less room (RFC 9293 §3.7.1: Eff.snd.MSS counts the options).</summary>
    private int WriteData(Span<byte> segment, SeqNum seq, int length, Instant now)
    {
        var options = CurrentOptions(now);
        int perSegment = _segmentBudget - TcpSegment.MinHeaderLength - options.Length;
        length = Math.Min(length, MaxPayload(perSegment));
        bool offloaded = length > perSegment;
        if (offloaded) OffloadSegmentSize = perSegment;
        bool fin = _finQueued && seq + length == _finSeq;
        var flags = TcpFlags.Ack | (fin ? TcpFlags.Fin : 0) | (length > 0 && seq + length == DataEnd ? TcpFlags.Psh : 0);
        bool retransmission = seq < _sndMax;
        int written = WriteSegment(segment, seq, flags, length, options, now, partialChecksum: offloaded);
        SeqNum end = seq + length + (fin ? 1 : 0);
        if (end > _sndNxt) _sndNxt = end;
        if (end > _sndMax) _sndMax = end;
        if (retransmission)
        {
            Stats.Retransmissions++;
            if (end > _highRxt) _highRxt = end;
        }
        else if (!_timing)
        {
            _timing = true; // RFC 6298 §3 (Karn): time a segment sent for the first time
            _timedSeq = seq;
            _timedAt = now;
        }
        Stats.BytesSent += length;
        if (length > 0) NoteDataSent(now);
        if (_retransmitAt.IsNever) _retransmitAt = now + _rtt.Timeout; // RFC 6298 §5.1
        return written;
    }

    /// <summary>
    /// Most payload of one segment of <paramref name="perSegment"/> bytes per wire segment: that, or with segmentation
    /// offload as many whole ones as <see cref="TcpStack.OffloadSegmentBytes"/> holds beside the largest header (Linux's
    /// tcp_tso_autosize without pacing: up to 64 KiB).
    /// </summary>
    private int MaxPayload(int perSegment)
    {
        int offload = _stack.OffloadSegmentBytes;
        return offload == 0 ? perSegment : Math.Max(1, (offload - TcpSegment.MaxHeaderLength) / perSegment) * perSegment;
    }

    /// <summary>SYN or SYN-ACK with every option we offer or accepted (RFC 9293 §3.10.1; RFC 7323 §2.2, §3.2; RFC 2018 §2).</summary>
    private int WriteSyn(Span<byte> segment, Instant now)
    {
        bool synAck = State == TcpState.SynReceived;
        var options = new TcpOptions { MaximumSegmentSize = (ushort)_config.MaxSegmentSize };
        if (synAck ? _windowScaling : _config.WindowScaling) options.WindowScale = _rcvWndShift;
        if (synAck ? _sack : _config.SelectiveAcknowledgments) options.SackPermitted = true;
        if (synAck ? _timestamps : _config.Timestamps) options.Timestamps = new TcpTimestamps(TimestampNow(now), synAck ? _tsRecent : 0);
        ushort window = (ushort)Math.Min(ushort.MaxValue, _receiveBuffer.Limit); // never scaled in a SYN
        var header = new TcpHeader(Tuple.LocalPort, Tuple.RemotePort, _iss.Value, synAck ? _rcvNxt.Value : 0,
                                   synAck ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Syn, window) { Options = options };
        int length = header.Length;
        header.Emit(segment[..length], Tuple.LocalAddress, Tuple.RemoteAddress);

        _synPending = false;
        if (_retries == 0 && !_timing)
        {
            _timing = true;
            _timedSeq = _iss;
            _timedAt = now;
        }
        else if (_retries > 0)
        {
            Stats.Retransmissions++;
        }
        if (_sndNxt == _iss) _sndNxt = _iss + 1;
        if (_sndMax == _iss) _sndMax = _iss + 1;
        if (synAck)
        {
            _advertisedRightEdge = SeqNum.Max(_advertisedRightEdge, _rcvNxt + window);
            OnAckSent(now);
        }
        if (_retransmitAt.IsNever) _retransmitAt = now + _rtt.Timeout;
        Stats.SegmentsSent++;
        return length;
    }

    /// <summary>Options every non-SYN segment carries now: timestamps, a pending D-SACK block and the SACK blocks of held
    /// out-of-order data.</summary>
    private TcpOptions CurrentOptions(Instant now)
    {
        var options = default(TcpOptions);
        if (_timestamps) options.Timestamps = new TcpTimestamps(TimestampNow(now), _tsRecent);
        if (_sack && (_dsackPending || !_outOfOrder.IsEmpty))
        {
            Span<SeqRange> blocks = stackalloc SeqRange[TcpOptions.MaxSackBlocks];
            AddSackBlocks(ref options, blocks[..WriteSackBlocks(blocks)]);
        }
        return options;
    }

    private static void AddSackBlocks(ref TcpOptions options, ReadOnlySpan<SeqRange> blocks)
    {
        foreach (var block in blocks) options.AddSackBlock(new SackBlock(block.Start.Value, block.End.Value));
    }

    /// <summary>
    /// The SACK blocks of the next segment: the pending D-SACK block first, reported once (RFC 2883 §4; Linux clears it in
    /// tcp_options_write), then the held ranges, the most recently changed first, which puts the range containing a
    /// duplicate right after its D-SACK block (RFC 2883 §4, RFC 2018 §4). The option carries as many as fit.
    /// </summary>
    private int WriteSackBlocks(Span<SeqRange> blocks)
    {
        int count = 0;
        if (_dsackPending)
        {
            _dsackPending = false;
            blocks[count++] = _dsack;
            Stats.DuplicateSacksSent++;
        }
        return count + _outOfOrder.WriteSackBlocks(blocks[count..]);
    }

    /// <summary>A segment without SYN: header with <paramref name="options"/>, payload from the send ring, checksum. It
    /// settles the pending ACK state unless it is a queued per-segment ACK, which settled it when it was queued. A
    /// <paramref name="partialChecksum"/> is left for the device that segments it (<see cref="TcpHeader.EmitPartial"/>).</summary>
    private int WriteSegment(Span<byte> segment, SeqNum seq, TcpFlags flags, int payloadLength, in TcpOptions options, Instant now,
                             bool settles = true, bool partialChecksum = false)
    {
        var header = new TcpHeader(Tuple.LocalPort, Tuple.RemotePort, seq.Value, _rcvNxt.Value, flags, AdvertiseWindow()) { Options = options };
        int headerLength = header.Length;
        int length = headerLength + payloadLength;
        // A segment the device segments has a partial checksum, so nothing here reads its payload: it may stay in the send
        // buffer, and the kernel copies it from there (one copy fewer on the poll thread; ~27 % of its time in a profile).
        if (partialChecksum && _stack.PayloadByReference && _sendBuffer.TryReference(seq - _ringSeq, payloadLength, ref _stack.ReferencedPayload))
        {
            header.EmitPartial(segment[..headerLength], length, Tuple.LocalAddress, Tuple.RemoteAddress);
            length = headerLength;
        }
        else
        {
            if (payloadLength > 0) _sendBuffer.CopyTo(seq - _ringSeq, segment.Slice(headerLength, payloadLength));
            if (partialChecksum) header.EmitPartial(segment[..length], length, Tuple.LocalAddress, Tuple.RemoteAddress);
            else header.Emit(segment[..length], Tuple.LocalAddress, Tuple.RemoteAddress);
        }
        Stats.SegmentsSent++;
        if (settles) OnAckSent(now);
        else RecordAckLatency(now);
        return length;
    }

    /// <summary>
    /// The window field: free receive space (the auto-tuned limit less what is buffered), moving the right edge only by
    /// at least min(space/2, MSS) at a time (receiver SWS avoidance, RFC 9293 §3.8.6.2.2) and never to the left
    /// (RFC 9293 §3.8.6.2.2, "shrinking").
    /// </summary>
    private ushort AdvertiseWindow()
    {
        int limit = _receiveBuffer.Limit;
        SeqNum proposed = _rcvNxt + Math.Max(0, limit - _receiveBuffer.Count);
        if (proposed - _advertisedRightEdge >= SwsThreshold(limit) || _advertisedRightEdge - _rcvNxt < 0)
            _advertisedRightEdge = SeqNum.Max(proposed, _rcvNxt);
        int window = Math.Max(0, _advertisedRightEdge - _rcvNxt);
        ushort field = (ushort)Math.Min(ushort.MaxValue, window >> _rcvWndShift);
        if (field == 0) Stats.ZeroWindowsAdvertised++; // the application is not reading: flow control holds the sender
        return field;
    }

    /// <summary>
    /// After the application reads: is an immediate window update worth a segment? When the window we last offered
    /// is at most half the buffer and would at least double (Linux's rule), or it was below one MSS and
    /// <see cref="AdvertiseWindow"/> would now move its right edge (by the SWS threshold, <see cref="SwsThreshold"/>): an
    /// update that cannot move the edge would repeat the window the sender has.
    /// </summary>
    private bool WindowUpdateWorthSending()
    {
        if (State is not (TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)) return false;
        int offered = Math.Max(0, _advertisedRightEdge - _rcvNxt);
        int limit = _receiveBuffer.Limit;
        int possible = limit - _receiveBuffer.Count;
        if (offered < _config.MaxSegmentSize) return possible - offered >= SwsThreshold(limit);
        return offered * 2L <= limit && possible >= offered * 2L;
    }

    /// <summary>Receiver SWS avoidance (RFC 9293 §3.8.6.2.2): the right edge moves by at least min(buffer/2, MSS).</summary>
    private int SwsThreshold(int limit) => Math.Min(limit / 2, _config.MaxSegmentSize);

    /// <summary>Every segment we send carries the cumulative ACK: pending ACK state is settled and its delay recorded.</summary>
    private void OnAckSent(Instant now)
    {
        SettleAck();
        RecordAckLatency(now);
    }

    /// <summary>RCV.NXT counts as acknowledged: nothing is due, no timer runs, the next ACK rule counts from here.</summary>
    private void SettleAck()
    {
        _ackNow = false;
        _delayedAckAt = Instant.Never;
        _ackPushed = _ackPushedTwice = false;
        _segmentsSinceAck = 0;
        _lastAckSent = _rcvNxt;
    }

    /// <summary>Records the arrival-to-ACK delay of the data an ACK of RCV.NXT covers.</summary>
    private void RecordAckLatency(Instant now)
    {
        if (_arrivalCount == 0) return;
        int kept = 0;
        for (int i = 0; i < _arrivalCount; i++)
        {
            int slot = (_arrivalHead + i) % LatencySlots;
            if (_arrivalEnd[slot] <= _rcvNxt)
            {
                _stack.AckLatency.Record(now.Nanoseconds - _arrivalAt[slot]);
            }
            else
            {
                int keep = (_arrivalHead + kept) % LatencySlots;
                _arrivalEnd[keep] = _arrivalEnd[slot];
                _arrivalAt[keep] = _arrivalAt[slot];
                kept++;
            }
        }
        _arrivalCount = kept;
    }
}
