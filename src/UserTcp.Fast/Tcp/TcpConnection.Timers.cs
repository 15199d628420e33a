using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp;

// Timers: retransmission (RFC 6298), persist (RFC 9293 §3.8.6.1), delayed ACK, keepalive (RFC 1122 §4.2.3.6), TIME-WAIT and
// an orphaned FIN-WAIT-2.
internal sealed partial class TcpConnection
{
    /// <summary>Runs every timer due at <paramref name="now"/>.</summary>
    internal void OnTimers(Instant now)
    {
        if (_timeWaitAt <= now)
        {
            Terminate(TcpError.None); // 2*MSL elapsed (RFC 9293 §3.10.8), or an orphaned FIN-WAIT-2's limit
            return;
        }
        if (_delayedAckAt <= now)
        {
            _delayedAckAt = Instant.Never;
            _pingPong = false; // the answer did not come in time: not interactive after all (tcp_delack_timer_handler)
            Stats.DelayedAckTimeouts++;
            RequestAck();
        }
        if (_retransmitAt <= now) OnRetransmitTimer(now);
        if (State != TcpState.Closed && _keepAliveAt <= now) OnKeepAliveTimer(now);
    }

    private void OnRetransmitTimer(Instant now)
    {
        _retransmitAt = Instant.Never;
        if (State is TcpState.SynSent or TcpState.SynReceived)
        {
            if (++_retries > _config.MaxSynRetransmissions)
            {
                // Passive opens fade back to LISTEN; an active open reports the timeout.
                Terminate(Listener is null ? TcpError.TimedOut : TcpError.None);
                return;
            }
            Stats.RetransmissionTimeouts++;
            _rtt.Backoff();
            _timing = false;
            _synPending = true;
            _stack.MarkDirty(this);
            return;
        }
        if (_persisting)
        {
            // Linux tcp_probe_timer: probes go on as long as the peer answers them (RFC 1122 §4.2.2.17; ProcessAck clears
            // the count), backing off to the maximum RTO, unless the user timeout (RFC 5482) has run since the first probe.
            // An orphan's answered probes still count (Linux tcp_orphan_retries): nobody waits for that data.
            if (_probingSince.IsNever) _probingSince = now;
            else if (UserTimeoutExpired(_probingSince, now)) return;
            if (++_retries > _config.MaxRetransmissions)
            {
                Terminate(TcpError.TimedOut);
                return;
            }
            _rtt.Backoff();
            _sndNxt = _sndUna; // re-probe with the byte not yet accepted, if any
            _probePending = true;
            _retransmitAt = now + _rtt.Timeout;
            _stack.MarkDirty(this);
            return;
        }
        if (_sndMax == _sndUna) return;
        if (_retransmittingSince.IsNever) _retransmittingSince = now;
        else if (UserTimeoutExpired(_retransmittingSince, now)) return;
        if (++_retries > _config.MaxRetransmissions)
        {
            Terminate(TcpError.TimedOut); // RFC 9293 §3.8.3: R2 reached
            return;
        }
        Stats.RetransmissionTimeouts++;
        // RFC 6298 §5.4–5.6: retransmit the earliest unacknowledged segment, back off, and (RFC 5681 §3.1) restart
        // slow start from one segment. Go back to SND.UNA: SACK information is not trusted after a timeout
        // (RFC 2018 §8), and RFC 6582 §3.2 step 1's "recover" stops dupACKs of the old window from another reduction.
        _congestion.OnRetransmissionTimeout(FlightSize, now);
        GoBackToUnacknowledged();
        _rtt.Backoff();
        _retransmitAt = now + _rtt.Timeout; // RFC 6298 §5.6: restart with the doubled RTO, whatever the flush can send
        _stack.MarkDirty(this);
    }

    /// <summary>
    /// RFC 5482 (Linux TCP_USER_TIMEOUT): data unacknowledged, or a window kept closed, for longer than
    /// <see cref="TcpConfig.UserTimeout"/> since <paramref name="since"/> (the first timeout or probe) ends the connection.
    /// </summary>
    private bool UserTimeoutExpired(Instant since, Instant now)
    {
        if (_config.UserTimeout is not { } limit || now - since < limit) return false;
        Terminate(TcpError.TimedOut);
        return true;
    }

    private void OnKeepAliveTimer(Instant now)
    {
        if (State is not (TcpState.Established or TcpState.CloseWait) || _sndMax != _sndUna)
        {
            ArmKeepAlive(now); // only an idle, synchronized connection is probed
            return;
        }
        if (_keepAlivesUnanswered == 0) _keepAliveSilentSince = now + -_config.KeepAliveIdle!.Value;
        // Linux tcp_keepalive_timer: with a user timeout (RFC 5482 §3.5 lets it govern keepalive too) the time since the
        // peer was last heard ends the connection, whatever the probe count; without one, the count does.
        bool expired = _config.UserTimeout is { } limit
            ? _keepAlivesUnanswered > 0 && now - _keepAliveSilentSince >= limit
            : _keepAlivesUnanswered >= _config.KeepAliveProbes;
        if (expired)
        {
            Terminate(TcpError.TimedOut);
            return;
        }
        _keepAlivesUnanswered++;
        _keepAlivePending = true;
        _keepAliveAt = now + _config.KeepAliveInterval;
        // The next look comes no later than the user timeout's end (Linux clamps the keepalive timer to it).
        if (_config.UserTimeout is { } until) _keepAliveAt = Instant.Min(_keepAliveAt, Instant.Max(now, _keepAliveSilentSince + until));
        _stack.MarkDirty(this);
    }

    private void ArmKeepAlive(Instant now) =>
        _keepAliveAt = _config.KeepAliveIdle is { } idle ? now + idle : Instant.Never;
}
