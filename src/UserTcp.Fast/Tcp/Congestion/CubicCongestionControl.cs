using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp.Congestion;

/// <summary>
/// CUBIC (RFC 9438). Windows are kept in bytes; the RFC's formulas are in segments and seconds, so a window
/// in segments is bytes / SMSS and C becomes C*SMSS bytes per second cubed. Slow start is the base class's RFC
/// 5681 slow start with ABC: RFC 9438 §4.10 says CUBIC SHOULD use HyStart++ (RFC 9406) and MAY use Reno's slow
/// start; HyStart++ is not implemented, so congestion avoidance only begins after a congestion event or a timeout.
/// </summary>
internal sealed class CubicCongestionControl : CongestionControl
{
    /// <summary>RFC 9438 §5.1: C = 0.4 (segments per second cubed).</summary>
    private const double C = 0.4;
    /// <summary>RFC 9438 §4.6: β_cubic "SHOULD be set to 0.7".</summary>
    private const double Beta = 0.7;
    /// <summary>RFC 9438 §4.3: α_cubic = 3 * (1 - β_cubic) / (1 + β_cubic), about 0.53.</summary>
    private const double AlphaCubic = 3 * (1 - Beta) / (1 + Beta);

    /// <summary>W_max in bytes (RFC 9438 §4.1.2): cwnd just before the last reduction, after fast convergence.</summary>
    private double _maxWindow;
    /// <summary>cwnd_prior in bytes (RFC 9438 §4.6): cwnd when ssthresh was last set.</summary>
    private double _priorWindow;
    /// <summary>W_est in bytes (RFC 9438 §4.3).</summary>
    private double _renoEstimate;
    /// <summary>K in seconds (RFC 9438 §4.2 eqn 2).</summary>
    private double _k;
    /// <summary>C in bytes per second cubed, fixed at the start of the epoch.</summary>
    private double _cBytes;
    /// <summary>The part of a byte of growth that did not fit in cwnd yet, so slow growth is not lost to rounding.</summary>
    private double _growthCarry;
    /// <summary>A congestion avoidance stage (epoch) is running; a reduction ends it (RFC 9438 §4.2).</summary>
    private bool _inEpoch;
    /// <summary>t of RFC 9438 §4.2 in nanoseconds: the window-limited time since the epoch started (§5.8).</summary>
    private long _epochElapsedNs;
    private Instant _lastAckAt;

    public CubicCongestionControl(int maxSegmentSize, int initialWindowSegments,
                                   int? slowStartLimitSegments = RfcSlowStartLimitSegments)
        : base(maxSegmentSize, initialWindowSegments, slowStartLimitSegments)
    {
    }

    public override CongestionAlgorithm Algorithm => CongestionAlgorithm.Cubic;

    /// <summary>W_max in bytes.</summary>
    internal double MaxWindow => _maxWindow;
    /// <summary>K in seconds for the current epoch.</summary>
    internal double K => _k;
    /// <summary>W_est in bytes.</summary>
    internal double RenoEstimate => _renoEstimate;

    /// <summary>RFC 9438 §4.2 eqn 1, in bytes: W_cubic(t) = C*(t - K)^3 + W_max for the current epoch.</summary>
    internal double CubicWindow(double t)
    {
        double d = t - _k;
        return _cBytes * d * d * d + _maxWindow;
    }

    protected override void OnCongestionAvoidanceAck(int ackedBytes, Instant now, TimeSpan smoothedRtt)
    {
        if (_inEpoch) CreditElapsed(now, smoothedRtt);
        else StartEpoch(now);

        double cwnd = Window;
        double mss = MaxSegmentSize;

        // §4.3 eqn 4, in bytes: W_est += α_cubic * segments_acked / cwnd. α_cubic becomes 1 "once W_est has grown
        // to reach the cwnd at the time of most recently setting ssthresh", i.e. W_est >= cwnd_prior.
        double alpha = _renoEstimate >= _priorWindow ? 1.0 : AlphaCubic;
        _renoEstimate += alpha * ackedBytes * mss / cwnd;

        double t = _epochElapsedNs * 1e-9;
        if (CubicWindow(t) < _renoEstimate)
        {
            // §4.3 Reno-friendly region: "cwnd SHOULD be set to W_est" (never lowered on an ACK).
            Window = Math.Max(Window, ToWindowBytes(_renoEstimate));
            return;
        }

        // §4.2: target = W_cubic(t + RTT) clamped to [cwnd, 1.5*cwnd]. §4.4 concave (cwnd < W_max) and §4.5 convex
        // (cwnd >= W_max) regions: cwnd += (target - cwnd) / cwnd per segment acked; the region is the shape of
        // W_cubic, the formula is the same. In bytes that is (target - cwnd) * acked / cwnd.
        double target = Math.Clamp(CubicWindow(t + smoothedRtt.TotalSeconds), cwnd, 1.5 * cwnd);
        double growth = (target - cwnd) * ackedBytes / cwnd + _growthCarry;
        double whole = Math.Floor(growth);
        _growthCarry = growth - whole;
        GrowWindow((long)whole);
    }

    /// <summary>
    /// RFC 9438 §5.8: t "MUST NOT include" periods in which the flow was application-limited, so such an ACK only
    /// moves the reference point; the time since the previous ACK is not credited.
    /// </summary>
    protected override void OnApplicationLimitedAck(Instant now) => _lastAckAt = now;

    /// <summary>
    /// RFC 9438 §4.7 fast convergence, then §4.6 multiplicative decrease: W_max = cwnd * (1 + β_cubic) / 2 if
    /// cwnd &lt; W_max else cwnd; cwnd_prior = cwnd; ssthresh = cwnd = max(flight_size * β_cubic, 2*SMSS).
    /// </summary>
    /// <remarks>
    /// Fast convergence is always on: RFC 9438 §4.7 says it SHOULD be implemented and SHOULD be disabled only
    /// for a single flow with no other traffic, which a stack cannot know. ssthresh uses FlightSize as §4.6 does.
    /// </remarks>
    public override void OnCongestionEvent(int flightSize, Instant now)
    {
        _maxWindow = Window < _maxWindow ? Window * (1 + Beta) / 2 : Window;
        _priorWindow = Window;
        _inEpoch = false;
        ReduceForRecovery(flightSize * Beta);
    }

    /// <summary>
    /// RFC 9438 §4.8: cwnd as Reno (RFC 5681 §3.1: 1*SMSS) but ssthresh per §4.6 with β_cubic; the epoch ends.
    /// W_max is forgotten: "during the first congestion avoidance stage after a timeout ... K is set to 0, and
    /// W_max is set to the congestion window size at the beginning of the current congestion avoidance stage",
    /// which is what <see cref="StartEpoch"/> does when W_max is not above cwnd_epoch.
    /// </summary>
    public override void OnRetransmissionTimeout(int flightSize, Instant now)
    {
        _maxWindow = 0;
        _priorWindow = Window;
        _inEpoch = false;
        ReduceToLossWindow(flightSize * Beta);
    }

    /// <summary>
    /// RFC 9438 §4.2: a congestion avoidance stage starts at this ACK: t = 0, cwnd_epoch = cwnd,
    /// K = cbrt((W_max - cwnd_epoch) / C) (eqn 2, in segments); §4.3: W_est = cwnd_epoch. When W_max is not above
    /// cwnd_epoch (after a timeout, §4.8, or a 2*SMSS floor above the remembered W_max) there is nothing to climb
    /// back to: K = 0 and W_max = cwnd_epoch, so growth is convex from the start.
    /// </summary>
    private void StartEpoch(Instant now)
    {
        double cwndEpoch = Window;
        if (_maxWindow <= cwndEpoch)
        {
            _maxWindow = cwndEpoch;
            _k = 0;
        }
        else
        {
            _k = Math.Cbrt((_maxWindow - cwndEpoch) / MaxSegmentSize / C);
        }
        _cBytes = C * MaxSegmentSize;
        _renoEstimate = cwndEpoch;
        _growthCarry = 0;
        _epochElapsedNs = 0;
        _lastAckAt = now;
        _inEpoch = true;
    }

    /// <summary>
    /// RFC 9438 §5.8: advance t by the time since the previous ACK, but by at most one SRTT. A window-limited
    /// sender sees an ACK at least once per RTT, so a longer gap means the pipe drained (the sender went idle and
    /// then restarted) and the excess is idle time that t must not include. Before the first RTT sample the gap
    /// is credited whole.
    /// </summary>
    private void CreditElapsed(Instant now, TimeSpan smoothedRtt)
    {
        long gap = Math.Max(0, now.Nanoseconds - _lastAckAt.Nanoseconds);
        long rtt = smoothedRtt.Ticks * 100;
        _epochElapsedNs += rtt > 0 ? Math.Min(gap, rtt) : gap;
        _lastAckAt = now;
    }
}
