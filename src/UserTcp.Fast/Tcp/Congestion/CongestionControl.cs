using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp.Congestion;

/// <summary>
/// A congestion controller owns cwnd and ssthresh and nothing else. Loss detection and recovery (fast
/// retransmit, NewReno partial ACKs, SACK pipe) live in the sender, which keeps cwnd = ssthresh during recovery
/// and sends while its pipe estimate is below <see cref="Window"/> (RFC 6675 §5), so no window inflation here.
/// All sizes in bytes; every size saturates at <see cref="int.MaxValue"/> instead of wrapping.
/// </summary>
/// <remarks>
/// What every algorithm shares lives here, once: the window-limited test, slow start with Appropriate Byte
/// Counting, the ssthresh floor and the two reductions, and the window on leaving recovery. An algorithm
/// supplies its congestion-avoidance growth (<see cref="OnCongestionAvoidanceAck"/>) and its responses to a
/// congestion event and to a retransmission timeout.
/// </remarks>
internal abstract class CongestionControl
{
    /// <summary>RFC 3465 §2.3: the slow-start limit L is 2*SMSS, the largest it allows.</summary>
    public const int RfcSlowStartLimitSegments = 2;

    /// <summary>L in segments; null counts every acknowledged byte (Linux's tcp_slow_start), for stretch ACKs.</summary>
    private readonly int? _slowStartLimitSegments;

    /// <summary>Set by an RTO, cleared when that slow start ends or by a congestion event (RFC 3465 §2.3).</summary>
    private bool _slowStartAfterTimeout;

    protected CongestionControl(int maxSegmentSize, int initialWindowSegments, int? slowStartLimitSegments = RfcSlowStartLimitSegments)
    {
        if (slowStartLimitSegments is < 1) throw new ArgumentOutOfRangeException(nameof(slowStartLimitSegments));
        _slowStartLimitSegments = slowStartLimitSegments;
        Window = InitialWindow(maxSegmentSize, initialWindowSegments);
        MaxSegmentSize = maxSegmentSize;
        SlowStartThreshold = int.MaxValue; // RFC 5681 §3.1: "arbitrarily high"
    }

    public abstract CongestionAlgorithm Algorithm { get; }
    public int MaxSegmentSize { get; private set; }
    /// <summary>cwnd.</summary>
    public int Window { get; protected set; }
    /// <summary>ssthresh.</summary>
    public int SlowStartThreshold { get; protected set; }
    public bool InSlowStart => Window < SlowStartThreshold;

    /// <summary>The MSS changed after the handshake (RFC 5681 §3.1: cwnd in whole segments of the new SMSS).</summary>
    public void UpdateMaxSegmentSize(int maxSegmentSize, int initialWindowSegments)
    {
        Window = InitialWindow(maxSegmentSize, initialWindowSegments);
        MaxSegmentSize = maxSegmentSize;
    }

    /// <summary>The path MTU shrank mid-connection (RFC 1191 §3): segments get smaller, cwnd stays in bytes (not a congestion signal).</summary>
    public void OnPathMtuReduced(int maxSegmentSize) => MaxSegmentSize = maxSegmentSize;

    /// <summary>
    /// New data was cumulatively acknowledged outside loss recovery. <paramref name="flightSize"/> is the data
    /// outstanding before this ACK, <paramref name="smoothedRtt"/> the current SRTT (zero before the first sample).
    /// </summary>
    /// <remarks>
    /// cwnd only grows when it is what limits the sender. The sender is window-limited when the flight before
    /// this ACK left no room for another full segment: FlightSize &gt; cwnd - SMSS. Otherwise the application
    /// (or the peer's receive window) is the limit and growing cwnd would only validate a window that was never
    /// used (the problem RFC 7661 §1 describes; RFC 9438 §5.8 forbids it for CUBIC). This is the simple rule,
    /// not RFC 7661's pipeACK machinery: cwnd is frozen, not decayed, while the sender is limited.
    /// </remarks>
    public void OnAcked(int ackedBytes, int flightSize, Instant now, TimeSpan smoothedRtt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ackedBytes);
        if (flightSize <= Window - MaxSegmentSize)
        {
            OnApplicationLimitedAck(now);
            return;
        }
        int remaining = InSlowStart ? SlowStart(ackedBytes) : ackedBytes;
        if (remaining > 0) OnCongestionAvoidanceAck(remaining, now, smoothedRtt);
    }

    /// <summary>Loss found by duplicate ACKs or SACK: the sender enters fast recovery (RFC 5681 §3.2 step 2, RFC 6675 §5).</summary>
    public abstract void OnCongestionEvent(int flightSize, Instant now);

    /// <summary>
    /// Recovery ended by an ACK covering the recovery point (RFC 6582 §3.2 step 3): set cwnd for the exit.
    /// <paramref name="flightSize"/> is the data still outstanding after that ACK.
    /// </summary>
    /// <remarks>
    /// RFC 6582 §3.2 step 3 offers "(1) min (ssthresh, max(FlightSize, SMSS) + SMSS) or (2) ssthresh"; with
    /// (2) "the implementation is encouraged to take measures to avoid a possible burst of data". Option (1) is
    /// that measure: when little is outstanding, cwnd restarts just above the flight and slow start (the
    /// shared one above) climbs back to ssthresh one ACK at a time instead of releasing ssthresh at once. When
    /// the pipe was kept full during recovery (the usual case here, RFC 6675 §5) both options give ssthresh.
    /// The choice is about bursts, not about the algorithm, so NewReno and CUBIC share it.
    /// </remarks>
    public void OnRecoveryExit(int flightSize, Instant now)
    {
        long deflated = (long)Math.Max(flightSize, MaxSegmentSize) + MaxSegmentSize;
        Window = (int)Math.Min(SlowStartThreshold, deflated);
    }

    /// <summary>The retransmission timer expired (RFC 5681 §3.1 eqn 4; RFC 6298 §5.5): back to one segment.</summary>
    public abstract void OnRetransmissionTimeout(int flightSize, Instant now);

    /// <summary>
    /// Congestion-avoidance growth for <paramref name="ackedBytes"/> newly acknowledged bytes of a window-limited
    /// ACK, after slow start took its share (cwnd &gt;= ssthresh on entry).
    /// </summary>
    protected abstract void OnCongestionAvoidanceAck(int ackedBytes, Instant now, TimeSpan smoothedRtt);

    /// <summary>An ACK arrived while the sender was not window-limited; cwnd does not change.</summary>
    protected virtual void OnApplicationLimitedAck(Instant now)
    {
    }

    /// <summary>
    /// Multiplicative decrease on entering recovery: ssthresh = max(<paramref name="reducedWindow"/>, 2*SMSS)
    /// (RFC 5681 §3.1 eqn 4 for β = 1/2, RFC 9438 §4.6 for β = 0.7) and cwnd = ssthresh (RFC 6675 §5 step 4.2:
    /// no 3*SMSS inflation, the sender counts the pipe instead).
    /// </summary>
    protected void ReduceForRecovery(double reducedWindow)
    {
        SlowStartThreshold = ThresholdAfterReduction(reducedWindow);
        Window = SlowStartThreshold;
        _slowStartAfterTimeout = false;
    }

    /// <summary>
    /// Retransmission timeout: ssthresh = max(<paramref name="reducedWindow"/>, 2*SMSS) and cwnd = the loss
    /// window (RFC 5681 §3.1: "cwnd MUST be set to no more than the loss window, LW, which equals 1 full-sized
    /// segment").
    /// </summary>
    protected void ReduceToLossWindow(double reducedWindow)
    {
        SlowStartThreshold = ThresholdAfterReduction(reducedWindow);
        Window = MaxSegmentSize;
        _slowStartAfterTimeout = true;
    }

    /// <summary>cwnd += <paramref name="bytes"/>, saturating at <see cref="int.MaxValue"/>.</summary>
    protected void GrowWindow(long bytes) => Window = (int)Math.Min(Window + bytes, int.MaxValue);

    /// <summary>A non-negative real number of bytes as a window: truncated, saturating at <see cref="int.MaxValue"/>.</summary>
    protected static int ToWindowBytes(double bytes) => bytes >= int.MaxValue ? int.MaxValue : (int)bytes;

    /// <summary>
    /// Slow start, RFC 5681 §3.1 eqn 2 with RFC 3465 Appropriate Byte Counting: cwnd += min(N, L) where N is the
    /// bytes this ACK covers and L = 2*SMSS (RFC 3465 §2.3) unless configured otherwise (no limit follows Linux,
    /// which a receiver sending one ACK per batch needs), or L = 1*SMSS in the slow start that follows a
    /// retransmission timeout (RFC 3465 §2.3: segments sent before the RTO may be acked in one large ACK).
    /// cwnd stops at ssthresh; what that ACK counted beyond the headroom goes on to congestion avoidance (RFC
    /// 5681 §3.1 lets cwnd == ssthresh use either algorithm). Returns the bytes left for congestion avoidance.
    /// </summary>
    private int SlowStart(int ackedBytes)
    {
        long limit = _slowStartAfterTimeout ? MaxSegmentSize
            : _slowStartLimitSegments is { } segments ? (long)segments * MaxSegmentSize : long.MaxValue;
        int counted = (int)Math.Min(ackedBytes, limit);
        int headroom = SlowStartThreshold - Window;
        if (counted < headroom)
        {
            Window += counted;
            return 0;
        }
        Window = SlowStartThreshold;
        _slowStartAfterTimeout = false;
        return counted - headroom;
    }

    /// <summary>RFC 5681 §3.1 eqn 4 and RFC 9438 §4.6: ssthresh is never below 2*SMSS.</summary>
    private int ThresholdAfterReduction(double reducedWindow) =>
        ToWindowBytes(Math.Max(reducedWindow, 2.0 * MaxSegmentSize));

    private static int InitialWindow(int maxSegmentSize, int initialWindowSegments)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSegmentSize); // the peer's MSS may be tiny: TcpConnection floors it
        ArgumentOutOfRangeException.ThrowIfLessThan(initialWindowSegments, 1);
        return (int)Math.Min((long)initialWindowSegments * maxSegmentSize, int.MaxValue);
    }

    public static CongestionControl Create(CongestionAlgorithm algorithm, int maxSegmentSize, int initialWindowSegments,
                                           int? slowStartLimitSegments = RfcSlowStartLimitSegments) =>
        algorithm switch
        {
            CongestionAlgorithm.NewReno => new NewRenoCongestionControl(maxSegmentSize, initialWindowSegments, slowStartLimitSegments),
            CongestionAlgorithm.Cubic => new CubicCongestionControl(maxSegmentSize, initialWindowSegments, slowStartLimitSegments),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
}
