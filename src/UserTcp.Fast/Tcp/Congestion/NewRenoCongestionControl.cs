using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp.Congestion;

/// <summary>
/// NewReno's window arithmetic (RFC 5681 §3.1, RFC 3465, RFC 6582); the recovery itself is the sender's.
/// Slow start, the window-limited test and the recovery exit are the base class's.
/// </summary>
internal sealed class NewRenoCongestionControl : CongestionControl
{
    /// <summary>RFC 5681 §3.1 eqn 4: ssthresh = max(FlightSize / 2, 2*SMSS).</summary>
    private const double Beta = 0.5;

    /// <summary>RFC 3465 §2.1 "bytes_acked": bytes acknowledged in congestion avoidance since the last increase.</summary>
    private long _bytesAcked;

    public NewRenoCongestionControl(int maxSegmentSize, int initialWindowSegments,
                                   int? slowStartLimitSegments = RfcSlowStartLimitSegments)
        : base(maxSegmentSize, initialWindowSegments, slowStartLimitSegments)
    {
    }

    public override CongestionAlgorithm Algorithm => CongestionAlgorithm.NewReno;

    /// <summary>
    /// RFC 5681 §3.1 (the RECOMMENDED byte counting) and RFC 3465 §2.1: "When bytes_acked becomes greater than
    /// or equal to the value of the congestion window, bytes_acked is reduced by the value of cwnd. Next, cwnd
    /// is incremented by a full-sized segment (SMSS)." At most one SMSS per ACK: RFC 5681 §3.1 "MUST NOT
    /// increment cwnd by more than SMSS bytes" per RTT; the remainder carries over.
    /// </summary>
    protected override void OnCongestionAvoidanceAck(int ackedBytes, Instant now, TimeSpan smoothedRtt)
    {
        _bytesAcked += ackedBytes;
        if (_bytesAcked < Window) return;
        _bytesAcked -= Window;
        GrowWindow(MaxSegmentSize);
    }

    /// <summary>RFC 5681 §3.2 step 2 / RFC 6675 §5 step 4.2: ssthresh = cwnd = max(FlightSize / 2, 2*SMSS).</summary>
    public override void OnCongestionEvent(int flightSize, Instant now)
    {
        _bytesAcked = 0; // counted against a cwnd that no longer exists
        ReduceForRecovery(flightSize * Beta);
    }

    /// <summary>RFC 5681 §3.1: ssthresh = max(FlightSize / 2, 2*SMSS) (eqn 4), cwnd = LW = 1*SMSS.</summary>
    public override void OnRetransmissionTimeout(int flightSize, Instant now)
    {
        _bytesAcked = 0;
        ReduceToLossWindow(flightSize * Beta);
    }
}
