using UserTcp.Fast.Tcp.Congestion;
using UserTcp.Fast.Time;
using static UserTcp.Fast.Tests.Tcp.Congestion.CongestionDriver;

namespace UserTcp.Fast.Tests.Tcp.Congestion;

public sealed class CubicCongestionControlTests
{
    private const double C = 0.4;
    private const double Beta = 0.7;
    private const double AlphaCubic = 3 * (1 - Beta) / (1 + Beta);

    /// <summary>CUBIC after one congestion event at cwnd = FlightSize = <paramref name="segments"/> SMSS, recovery done.</summary>
    private static CubicCongestionControl AfterLossAt(int segments)
    {
        var cc = (CubicCongestionControl)CongestionControl.Create(CongestionAlgorithm.Cubic, Mss, segments);
        cc.OnCongestionEvent(cc.Window, Instant.Zero);
        cc.OnRecoveryExit(cc.Window, Instant.Zero);
        return cc;
    }

    /// <summary>RFC 9438 §4.6: ssthresh = cwnd = max(flight_size * β_cubic, 2*SMSS), β_cubic = 0.7; W_max = cwnd before.</summary>
    [Fact]
    public void Rfc9438_4_6_multiplicative_decrease_is_beta_0_7_of_the_flight()
    {
        var cc = (CubicCongestionControl)CongestionControl.Create(CongestionAlgorithm.Cubic, Mss, 100);
        cc.OnCongestionEvent(100_000, Instant.Zero);
        Assert.Equal(70_000, cc.SlowStartThreshold);
        Assert.Equal(70_000, cc.Window);
        Assert.Equal(100_000, cc.MaxWindow);

        var limited = CongestionControl.Create(CongestionAlgorithm.Cubic, Mss, 100);
        limited.OnCongestionEvent(50_001, Instant.Zero); // the flight, not cwnd: 35_000.7 truncated
        Assert.Equal(35_000, limited.SlowStartThreshold);
        Assert.Equal(35_000, limited.Window);
    }

    /// <summary>
    /// RFC 9438 §4.2 eqn 2: K = cbrt((W_max - cwnd_epoch) / C); right after a reduction from W_max with the flight
    /// equal to cwnd, cwnd_epoch = β_cubic * W_max and K = cbrt(W_max * (1 - β_cubic) / C). W_max = 100 segments:
    /// K = cbrt(75) s. Eqn 1 at t = 0 is cwnd_epoch and at t = K is W_max.
    /// </summary>
    [Fact]
    public void Rfc9438_4_2_K_for_a_known_W_max_and_W_cubic_at_K_is_W_max()
    {
        var cc = AfterLossAt(100);
        AckFull(cc, Mss, Instant.FromMilliseconds(5), TimeSpan.FromMilliseconds(100)); // the epoch starts here

        Assert.Equal(Math.Cbrt(100 * (1 - Beta) / C), cc.K, 12);
        Assert.Equal(4.217163326508746, cc.K, 12);
        Assert.Equal(100_000.0, cc.CubicWindow(cc.K), 9);
        Assert.Equal(70_000.0, cc.CubicWindow(0), 6);
        Assert.Equal(100_000 + C * Mss * 8, cc.CubicWindow(cc.K + 2), 6); // C*(t-K)^3 with t - K = 2 s
    }

    /// <summary>
    /// RFC 9438 §4.7: at a congestion event with cwnd &lt; W_max, W_max = cwnd * (1 + β_cubic) / 2 (= 0.85 cwnd),
    /// so the next plateau is lower and K shorter; with cwnd &gt;= W_max, W_max = cwnd.
    /// </summary>
    [Fact]
    public void Rfc9438_4_7_fast_convergence_lowers_W_max_when_the_window_did_not_get_back_to_it()
    {
        var cc = AfterLossAt(100);
        Assert.Equal(100_000, cc.MaxWindow); // first event: cwnd >= W_max, W_max = cwnd

        cc.OnCongestionEvent(70_000, Instant.Zero); // again at cwnd 70_000 < W_max 100_000
        Assert.Equal(70_000 * (1 + Beta) / 2, cc.MaxWindow, 9); // 59_500, not 70_000
        Assert.Equal(49_000, cc.Window);

        cc.OnRecoveryExit(49_000, Instant.Zero);
        AckFull(cc, Mss, Instant.Zero, TimeSpan.FromMilliseconds(100));
        Assert.Equal(Math.Cbrt((59.5 - 49) / C), cc.K, 12); // 2.97 s instead of cbrt((70 - 49) / C) = 3.74 s
    }

    /// <summary>
    /// RFC 9438 §4.2, §4.4, §4.5: with cwnd-worth of ACKs per RTT, cwnd follows W_cubic(t) = C*(t - K)^3 + W_max:
    /// concave up to the plateau at W_max (t = K), then convex. W_max = 1000 segments, RTT 100 ms, so the
    /// Reno-friendly estimate (§4.3) stays far below and the cubic alone decides.
    /// </summary>
    [Fact]
    public void Rfc9438_4_2_cwnd_follows_the_cubic_concave_then_convex()
    {
        var cc = AfterLossAt(1000);
        var rtt = TimeSpan.FromMilliseconds(100);
        double k = Math.Cbrt(1000 * (1 - Beta) / C); // 9.09 s
        var epochStart = new Instant(rtt.Ticks * 100 / (cc.Window / Mss)); // the first ACK of the first round
        var now = Instant.Zero;
        var increments = new List<int>();

        for (int round = 0; round < 200; round++)
        {
            int before = cc.Window;
            now = Round(cc, now, rtt);
            increments.Add(cc.Window - before);

            double t = (now - epochStart).TotalSeconds;
            double closedForm = (C * Math.Pow(t - k, 3) + 1000) * Mss;
            Assert.True(Math.Abs(cc.Window - closedForm) <= closedForm * 1e-3,
                $"round {round}, t = {t:F2} s: cwnd {cc.Window} vs W_cubic(t) {closedForm:F0}");
            Assert.True(cc.RenoEstimate < cc.Window); // never Reno-friendly here
            if (t < k - 0.2) Assert.True(cc.Window < 1_000_000); // concave: approaching W_max from below
            if (t > k + 0.2) Assert.True(cc.Window > 1_000_000); // convex: probing beyond it
        }

        int Growth(int from) => increments.Skip(from).Take(10).Sum();
        Assert.True(Growth(0) > Growth(40) && Growth(40) > Growth(80)); // concave: growth slows toward K
        Assert.True(Growth(100) < Growth(140) && Growth(140) < Growth(180)); // convex: growth speeds up after K
        Assert.True(Growth(85) < 1_000); // the plateau around t = K: under a segment in a second
    }

    /// <summary>
    /// RFC 9438 §4.3: with a short RTT and a small W_max, W_est = W_est + α_cubic * segments_acked / cwnd outgrows
    /// W_cubic(t), and cwnd is set to W_est: α_cubic = 3(1 - β)/(1 + β) ≈ 0.53 segment per RTT until W_est reaches
    /// cwnd_prior (the cwnd before the reduction), then α_cubic = 1, i.e. Reno's one segment per RTT.
    /// </summary>
    [Fact]
    public void Rfc9438_4_3_the_Reno_friendly_region_dominates_at_small_RTT_and_W_max()
    {
        var cc = AfterLossAt(10); // W_max = cwnd_prior = 10 segments, cwnd = 7
        var rtt = TimeSpan.FromMilliseconds(10); // K = 1.96 s = 196 RTTs of nearly flat cubic
        var now = Instant.Zero;
        var epochStart = new Instant(rtt.Ticks * 100 / 7);

        for (int round = 0; round < 30; round++)
        {
            int before = cc.Window;
            bool beforePrior = cc.RenoEstimate < 10_000;
            now = Round(cc, now, rtt);

            double t = (now - epochStart).TotalSeconds;
            Assert.True(cc.CubicWindow(t) < cc.RenoEstimate);
            Assert.Equal((int)cc.RenoEstimate, cc.Window); // cwnd = W_est
            double perRtt = (cc.Window - before) / (double)Mss;
            if (beforePrior && cc.RenoEstimate < 10_000) Assert.InRange(perRtt, 0.8 * AlphaCubic, AlphaCubic);
            if (!beforePrior) Assert.InRange(perRtt, 0.9, 1.0);
        }
        Assert.True(cc.Window > 30_000); // three times W_max in 0.3 s, where the cubic alone gives 8.2 segments
        Assert.True(cc.CubicWindow(0.3) < 8_300);
    }

    /// <summary>
    /// RFC 9438 §4.8: a timeout sets ssthresh per §4.6 (0.7 of the flight) and cwnd = 1 SMSS (RFC 5681); after
    /// slow start (L = 1*SMSS after an RTO, RFC 3465 §2.3) the first congestion avoidance stage has K = 0,
    /// W_max = cwnd_epoch and W_est = cwnd_epoch, so growth is convex from the start: W_cubic(t) = C*t^3 + cwnd_epoch.
    /// </summary>
    [Fact]
    public void Rfc9438_4_8_timeout_resets_the_epoch_with_K_zero_and_W_max_at_the_new_start()
    {
        var cc = AfterLossAt(100); // W_max = 100_000, to show the timeout forgets it
        cc.OnRetransmissionTimeout(60_000, Instant.Zero);
        Assert.Equal(42_000, cc.SlowStartThreshold);
        Assert.Equal(Mss, cc.Window);

        for (int expected = 2_000; expected <= 42_000; expected += Mss)
        {
            AckFull(cc, 2 * Mss, Instant.Zero, TimeSpan.FromMilliseconds(100));
            Assert.Equal(expected, cc.Window);
        }
        Assert.False(cc.InSlowStart);

        var rtt = TimeSpan.FromMilliseconds(100);
        var now = Round(cc, Instant.Zero, rtt);
        Assert.Equal(0, cc.K);
        Assert.Equal(42_000, cc.MaxWindow);
        Assert.Equal(42_000.0, cc.CubicWindow(0), 9);

        var epochStart = new Instant(rtt.Ticks * 100 / 42);
        for (int round = 1; round < 60; round++) now = Round(cc, now, rtt);
        double t = (now - epochStart).TotalSeconds; // 6 s: the cubic has overtaken W_est
        double closedForm = (C * t * t * t + 42) * Mss;
        Assert.True(Math.Abs(cc.Window - closedForm) <= closedForm * 1e-3, $"cwnd {cc.Window} vs {closedForm:F0}");
        Assert.True(cc.RenoEstimate < cc.Window);
    }

    /// <summary>
    /// RFC 9438 §4.2: target = W_cubic(t + RTT) is capped at 1.5 * cwnd, so however far the cubic runs ahead
    /// (here a 10 s SRTT puts W_cubic(t + RTT) above 200 segments at cwnd 70) an ACK grows cwnd by at most
    /// (1.5 cwnd - cwnd) / cwnd per segment: half the acknowledged bytes, less than slow start.
    /// </summary>
    [Fact]
    public void Rfc9438_4_2_target_is_capped_at_one_and_a_half_cwnd()
    {
        var cc = AfterLossAt(100);
        var srtt = TimeSpan.FromSeconds(10);
        var now = Instant.Zero;
        AckFull(cc, Mss, now, srtt); // the epoch starts; t = 0 is Reno-friendly (W_est just above cwnd_epoch)
        for (int i = 0; i < 20; i++)
        {
            now += TimeSpan.FromSeconds(1);
            Assert.True(cc.CubicWindow((now - Instant.Zero).TotalSeconds + 10) > 1.5 * cc.Window);
            int before = cc.Window;
            AckFull(cc, Mss, now, srtt);
            Assert.InRange(cc.Window - before, Mss / 2 - 1, Mss / 2 + 1);
        }
    }

    /// <summary>RFC 9438 §4.2: t starts with the congestion avoidance stage, so time spent in recovery does not count.</summary>
    [Fact]
    public void Rfc9438_4_2_t_starts_at_the_first_ACK_of_congestion_avoidance()
    {
        var rtt = TimeSpan.FromMilliseconds(50);
        var quick = AfterLossAt(200);
        var slow = (CubicCongestionControl)CongestionControl.Create(CongestionAlgorithm.Cubic, Mss, 200);
        slow.OnCongestionEvent(slow.Window, Instant.Zero);
        slow.OnRecoveryExit(slow.Window, Instant.FromMilliseconds(5_000)); // five seconds of recovery

        var quickNow = Instant.Zero;
        var slowNow = Instant.FromMilliseconds(5_000);
        for (int round = 0; round < 50; round++)
        {
            quickNow = Round(quick, quickNow, rtt);
            slowNow = Round(slow, slowNow, rtt);
            Assert.Equal(quick.Window, slow.Window);
        }
    }

    /// <summary>
    /// RFC 9438 §5.8 at a finer grain: an interval that ends in an application-limited ACK is not credited to t.
    /// ACKs every 50 ms alternating application-limited and window-limited give the same window as
    /// window-limited ACKs every 50 ms: only the halves ending in a full pipe count.
    /// </summary>
    [Fact]
    public void Rfc9438_5_8_intervals_ending_in_an_application_limited_ACK_are_not_part_of_t()
    {
        var srtt = TimeSpan.FromMilliseconds(100);
        var half = TimeSpan.FromMilliseconds(50);
        var steady = AfterLossAt(300);
        var bursty = AfterLossAt(300);
        var steadyNow = Instant.Zero;
        var burstyNow = Instant.Zero;
        for (int i = 0; i < 2_000; i++)
        {
            steadyNow += half;
            AckFull(steady, Mss, steadyNow, srtt);

            burstyNow += half;
            bursty.OnAcked(Mss, Mss, burstyNow, srtt); // application-limited: one segment out
            burstyNow += half;
            AckFull(bursty, Mss, burstyNow, srtt);

            Assert.Equal(steady.Window, bursty.Window);
        }
        Assert.True(steady.Window > 300_000); // past K: the comparison covered concave and convex growth
    }

    /// <summary>
    /// RFC 9438 §5.8: cwnd does not grow while application-limited, and t "MUST NOT include" such periods or
    /// idle periods. Ten seconds of trickle and thirty of silence count as no more than one RTT, the most an idle
    /// pipe is credited, so the window afterwards is the one a sender paused for one RTT would have.
    /// </summary>
    [Fact]
    public void Rfc9438_5_8_application_limited_and_idle_time_is_not_part_of_t()
    {
        var rtt = TimeSpan.FromMilliseconds(100);
        var paused = AfterLossAt(500);
        var limited = AfterLossAt(500);
        var pausedNow = Instant.Zero;
        var limitedNow = Instant.Zero;
        for (int round = 0; round < 20; round++)
        {
            pausedNow = Round(paused, pausedNow, rtt);
            limitedNow = Round(limited, limitedNow, rtt);
        }
        Assert.Equal(paused.Window, limited.Window);

        pausedNow += rtt; // one quiet RTT
        int window = limited.Window;
        for (int i = 0; i < 100; i++) // ten seconds of a sender with 5 segments to send per 100 ms
        {
            limitedNow += rtt;
            limited.OnAcked(5 * Mss, 5 * Mss, limitedNow, rtt);
        }
        Assert.Equal(window, limited.Window);
        limitedNow += TimeSpan.FromSeconds(30); // then nothing at all

        for (int round = 0; round < 40; round++)
        {
            pausedNow = Round(paused, pausedNow, rtt);
            limitedNow = Round(limited, limitedNow, rtt);
            Assert.Equal(paused.Window, limited.Window);
        }
    }
}
