namespace UserTcp.Fast.Tcp;

/// <summary>The retransmission timer's estimator, RFC 6298 §2 (SRTT, RTTVAR, RTO) with §5.5 backoff.</summary>
internal struct RttEstimator
{
    private const long Granularity = 1_000; // G: our clock ticks in nanoseconds; 1 µs keeps K*RTTVAR meaningful

    private readonly long _min, _max;
    private long _srtt, _rttvar, _rto;

    public RttEstimator(TimeSpan initial, TimeSpan min, TimeSpan max)
    {
        _min = min.Ticks * 100;
        _max = max.Ticks * 100;
        _rto = Math.Clamp(initial.Ticks * 100, _min, _max); // RFC 6298 §2.1
        _srtt = _rttvar = 0;
        Backoffs = 0;
    }

    public TimeSpan SmoothedRtt => TimeSpan.FromTicks(_srtt / 100);
    /// <summary>The current RTO including backoff.</summary>
    public TimeSpan Timeout => TimeSpan.FromTicks(BackedOff / 100);
    /// <summary>Consecutive expirations since the last RTT sample.</summary>
    public int Backoffs { get; private set; }

    private long BackedOff => Backoffs >= 30 ? _max : Math.Min(_max, _rto << Backoffs);

    /// <summary>A new RTT measurement (Karn: never from a retransmitted segment, RFC 6298 §3). Clears the backoff (§5.7).</summary>
    public void AddSample(TimeSpan measured)
    {
        long r = Math.Max(1, measured.Ticks * 100);
        if (_srtt == 0)
        {
            _srtt = r;          // §2.2
            _rttvar = r / 2;
        }
        else
        {
            _rttvar = (3 * _rttvar + Math.Abs(_srtt - r)) / 4; // §2.3, beta = 1/4
            _srtt = (7 * _srtt + r) / 8;                       //        alpha = 1/8
        }
        _rto = Math.Clamp(_srtt + Math.Max(Granularity, 4 * _rttvar), _min, _max); // §2.3, §2.4
        Backoffs = 0;
    }

    /// <summary>The timer expired: double the RTO up to the maximum (RFC 6298 §5.5).</summary>
    public void Backoff() => Backoffs = Math.Min(Backoffs + 1, 30);
}
