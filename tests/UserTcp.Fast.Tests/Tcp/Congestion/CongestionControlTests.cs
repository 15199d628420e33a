using UserTcp.Fast.Tcp.Congestion;
using UserTcp.Fast.Time;
using static UserTcp.Fast.Tests.Tcp.Congestion.CongestionDriver;

namespace UserTcp.Fast.Tests.Tcp.Congestion;

/// <summary>What NewReno and CUBIC share: initial window, slow start with ABC, floors, recovery exit, saturation, the window-limited rule.</summary>
public sealed class CongestionControlTests
{
    /// <summary>RFC 5681 §3.1 (IW in segments, RFC 6928 for IW10): ssthresh starts "arbitrarily high".</summary>
    [Theory]
    [MemberData(nameof(BothAlgorithms), MemberType = typeof(CongestionDriver))]
    public void Rfc5681_3_1_initial_window_is_IW_segments_and_ssthresh_is_arbitrarily_high(CongestionAlgorithm algorithm)
    {
        var cc = CongestionControl.Create(algorithm, 1460, 10);
        Assert.Equal(algorithm, cc.Algorithm);
        Assert.Equal(1460, cc.MaxSegmentSize);
        Assert.Equal(14_600, cc.Window);
        Assert.Equal(int.MaxValue, cc.SlowStartThreshold);
        Assert.True(cc.InSlowStart);

        cc.UpdateMaxSegmentSize(1200, 4);
        Assert.Equal(1200, cc.MaxSegmentSize);
        Assert.Equal(4_800, cc.Window);
    }

    [Fact]
    public void Factory_and_MSS_update_reject_nonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CongestionControl.Create(CongestionAlgorithm.NewReno, 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => CongestionControl.Create(CongestionAlgorithm.Cubic, 1460, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CongestionControl.Create((CongestionAlgorithm)7, 1460, 10));
        var cc = CongestionControl.Create(CongestionAlgorithm.NewReno, 1460, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => cc.UpdateMaxSegmentSize(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => cc.OnAcked(-1, cc.Window, Instant.Zero, TimeSpan.Zero));
        Assert.Equal(1460, cc.MaxSegmentSize);
        Assert.Equal(14_600, cc.Window);
    }

    /// <summary>
    /// RFC 5681 §3.1 eqn 2 with RFC 3465 §2.3 L = 2*SMSS: cwnd += min(N, 2*SMSS) per ACK, by bytes, so ACK
    /// division (many small ACKs for one segment) gains nothing and a stretch ACK gains at most 2*SMSS.
    /// </summary>
    [Theory]
    [MemberData(nameof(BothAlgorithms), MemberType = typeof(CongestionDriver))]
    public void Rfc3465_2_3_slow_start_adds_the_acked_bytes_capped_at_two_SMSS(CongestionAlgorithm algorithm)
    {
        var cc = CongestionControl.Create(algorithm, 1460, 10);
        (int Acked, int Expected)[] steps =
        [
            (1460, 16_060),     // one segment: + SMSS
            (2920, 18_980),     // delayed ACK of two: + 2*SMSS
            (7300, 21_900),     // stretch ACK of five: capped at + 2*SMSS
            (100, 22_000),      // a partial segment: + the bytes, not a segment
            (146_000, 24_920),  // a whole window at once: still + 2*SMSS
        ];
        foreach (var (acked, expected) in steps)
        {
            AckFull(cc, acked);
            Assert.Equal(expected, cc.Window);
            Assert.True(cc.InSlowStart);
        }

        for (int i = 0; i < 10; i++) AckFull(cc, 146); // ACK division: ten ACKs for one segment
        Assert.Equal(24_920 + 1460, cc.Window);
    }

    /// <summary>
    /// RFC 5681 §3.1: slow start while cwnd &lt; ssthresh, congestion avoidance from cwnd == ssthresh on. cwnd
    /// lands exactly on ssthresh (the bytes of an ACK that crosses it are the NewReno tests' business).
    /// </summary>
    [Theory]
    [MemberData(nameof(BothAlgorithms), MemberType = typeof(CongestionDriver))]
    public void Rfc5681_3_1_slow_start_ends_exactly_at_ssthresh(CongestionAlgorithm algorithm)
    {
        var cc = InCongestionAvoidance(algorithm, 20_000);
        cc.OnRecoveryExit(5_000, Instant.Zero); // RFC 6582 option (1): cwnd = 6_000 < ssthresh, slow start again
        Assert.Equal(6_000, cc.Window);
        Assert.True(cc.InSlowStart);

        int[] expected = [8_000, 10_000, 12_000, 14_000, 16_000, 18_000, 20_000];
        foreach (int window in expected)
        {
            Assert.True(cc.InSlowStart);
            AckFull(cc, 2 * Mss);
            Assert.Equal(window, cc.Window);
        }
        Assert.False(cc.InSlowStart);
        Assert.Equal(20_000, cc.SlowStartThreshold);
    }

    /// <summary>
    /// RFC 6582 §3.2 step 3 option (1): on a full ACK, cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS),
    /// FlightSize being what is still outstanding.
    /// </summary>
    [Theory]
    [MemberData(nameof(BothAlgorithms), MemberType = typeof(CongestionDriver))]
    public void Rfc6582_3_2_recovery_exit_deflates_to_the_flight_plus_one_segment_at_most_ssthresh(CongestionAlgorithm algorithm)
    {
        var cc = CongestionControl.Create(algorithm, Mss, 40);
        cc.OnCongestionEvent(40_000, Instant.Zero);
        int ssthresh = cc.SlowStartThreshold;
        Assert.Equal(algorithm == CongestionAlgorithm.NewReno ? 20_000 : 28_000, ssthresh);

        cc.OnRecoveryExit(35_000, Instant.Zero); // pipe kept full: ssthresh
        Assert.Equal(ssthresh, cc.Window);
        cc.OnRecoveryExit(ssthresh - Mss, Instant.Zero); // exactly ssthresh again
        Assert.Equal(ssthresh, cc.Window);
        cc.OnRecoveryExit(3_000, Instant.Zero); // little outstanding: no burst
        Assert.Equal(4_000, cc.Window);
        cc.OnRecoveryExit(0, Instant.Zero); // nothing outstanding: max(0, SMSS) + SMSS
        Assert.Equal(2 * Mss, cc.Window);
        Assert.Equal(ssthresh, cc.SlowStartThreshold);
    }

    /// <summary>RFC 5681 §3.1 eqn 4 and RFC 9438 §4.6: ssthresh is at least 2*SMSS after any reduction.</summary>
    [Theory]
    [MemberData(nameof(BothAlgorithms), MemberType = typeof(CongestionDriver))]
    public void Rfc5681_3_1_ssthresh_is_never_below_two_segments(CongestionAlgorithm algorithm)
    {
        var cc = CongestionControl.Create(algorithm, Mss, 10);
        cc.OnCongestionEvent(Mss, Instant.Zero);
        Assert.Equal(2 * Mss, cc.SlowStartThreshold);
        Assert.Equal(2 * Mss, cc.Window);

        cc.OnCongestionEvent(0, Instant.Zero);
        Assert.Equal(2 * Mss, cc.SlowStartThreshold);

        cc.OnRetransmissionTimeout(2 * Mss, Instant.Zero); // half (or 0.7) of 2 segments is below the floor
        Assert.Equal(2 * Mss, cc.SlowStartThreshold);
        Assert.Equal(Mss, cc.Window);
    }

    /// <summary>RFC 5681 §3.1: the loss window LW = 1*SMSS is the floor; nothing takes cwnd below it.</summary>
    [Theory]
    [MemberData(nameof(BothAlgorithms), MemberType = typeof(CongestionDriver))]
    public void Rfc5681_3_1_cwnd_is_never_below_one_segment(CongestionAlgorithm algorithm)
    {
        var cc = CongestionControl.Create(algorithm, Mss, 1);
        var now = Instant.Zero;
        for (int i = 0; i < 20; i++)
        {
            cc.OnRetransmissionTimeout(0, now);
            Assert.Equal(Mss, cc.Window);
            cc.OnCongestionEvent(0, now);
            Assert.True(cc.Window >= Mss);
            cc.OnRecoveryExit(0, now);
            Assert.True(cc.Window >= Mss);
            cc.OnAcked(0, cc.Window, now, TimeSpan.FromMilliseconds(10));
            Assert.True(cc.Window >= Mss);
            now += TimeSpan.FromMilliseconds(10);
        }
    }

    /// <summary>
    /// Saturation, not wraparound: an initial window, slow start and congestion avoidance near int.MaxValue, and
    /// reductions from a flight of int.MaxValue (RFC 5681 §3.1 eqn 4 / RFC 9438 §4.6 on the largest inputs).
    /// </summary>
    [Theory]
    [MemberData(nameof(BothAlgorithms), MemberType = typeof(CongestionDriver))]
    public void Huge_windows_saturate_at_int_MaxValue_instead_of_wrapping(CongestionAlgorithm algorithm)
    {
        Assert.Equal(int.MaxValue, CongestionControl.Create(algorithm, 65_535, 1_000_000).Window);

        var rtt = TimeSpan.FromMilliseconds(50);
        var now = Instant.Zero;
        var cc = CongestionControl.Create(algorithm, Mss, int.MaxValue / Mss); // 2_147_483_000
        AckFull(cc, 2 * Mss, now, rtt); // slow start toward ssthresh = int.MaxValue lands on it
        Assert.Equal(int.MaxValue, cc.Window);
        Assert.False(cc.InSlowStart);
        for (int i = 0; i < 10; i++)
        {
            now += rtt;
            AckFull(cc, int.MaxValue, now, rtt); // congestion avoidance at the ceiling stays there
            Assert.Equal(int.MaxValue, cc.Window);
        }

        // A huge SMSS makes regrowth from the reduced window to the ceiling take a few thousand ACKs.
        const int hugeMss = 1_000_000;
        cc = CongestionControl.Create(algorithm, hugeMss, int.MaxValue / hugeMss);
        AckFull(cc, 2 * hugeMss, now, rtt);
        Assert.Equal(int.MaxValue, cc.Window);

        double beta = algorithm == CongestionAlgorithm.NewReno ? 0.5 : 0.7;
        int reduced = (int)(int.MaxValue * beta);
        cc.OnCongestionEvent(int.MaxValue, now);
        Assert.Equal(reduced, cc.SlowStartThreshold);
        Assert.Equal(reduced, cc.Window);
        cc.OnRecoveryExit(int.MaxValue, now); // max(FlightSize, SMSS) + SMSS must not wrap
        Assert.Equal(reduced, cc.Window);

        int previous = cc.Window;
        for (int i = 0; i < 10_000 && cc.Window < int.MaxValue; i++)
        {
            now += rtt;
            AckFull(cc, int.MaxValue / 2, now, rtt);
            Assert.True(cc.Window >= previous, $"cwnd went from {previous} to {cc.Window}");
            previous = cc.Window;
        }
        Assert.Equal(int.MaxValue, cc.Window); // grew back to the ceiling and stopped there

        cc.OnRetransmissionTimeout(int.MaxValue, now);
        Assert.Equal(reduced, cc.SlowStartThreshold);
        Assert.Equal(hugeMss, cc.Window);
    }

    /// <summary>
    /// The window-limited rule (RFC 7661 §1's problem, RFC 9438 §5.8): an ACK only grows cwnd if the flight
    /// before it left no room for another segment (FlightSize &gt; cwnd - SMSS), in slow start and after.
    /// </summary>
    [Theory]
    [MemberData(nameof(BothAlgorithms), MemberType = typeof(CongestionDriver))]
    public void Rfc7661_an_application_limited_sender_does_not_inflate_cwnd(CongestionAlgorithm algorithm)
    {
        var rtt = TimeSpan.FromMilliseconds(20);
        var now = Instant.Zero;

        var slowStart = CongestionControl.Create(algorithm, Mss, 10);
        for (int i = 0; i < 1_000; i++)
        {
            now += rtt;
            slowStart.OnAcked(2 * Mss, 2 * Mss, now, rtt); // a trickle: 2 segments out of a 10-segment window
        }
        Assert.Equal(10 * Mss, slowStart.Window);
        slowStart.OnAcked(Mss, 9 * Mss, now, rtt); // room for exactly one more segment: still application-limited
        Assert.Equal(10 * Mss, slowStart.Window);
        slowStart.OnAcked(Mss, 9 * Mss + 1, now, rtt); // no room for a full segment: window-limited
        Assert.Equal(11 * Mss, slowStart.Window);

        var avoidance = InCongestionAvoidance(algorithm, 20_000);
        for (int i = 0; i < 1_000; i++)
        {
            now += rtt;
            avoidance.OnAcked(Mss, 5 * Mss, now, rtt);
        }
        Assert.Equal(20_000, avoidance.Window);
    }
}
