using UserTcp.Fast.Tcp.Congestion;
using UserTcp.Fast.Time;
using static UserTcp.Fast.Tests.Tcp.Congestion.CongestionDriver;

namespace UserTcp.Fast.Tests.Tcp.Congestion;

public sealed class NewRenoCongestionControlTests
{
    private static CongestionControl NewReno(int initialWindowSegments = 10) =>
        CongestionControl.Create(CongestionAlgorithm.NewReno, Mss, initialWindowSegments);

    /// <summary>
    /// RFC 3465 §2.1 / RFC 5681 §3.1 byte counting: cwnd grows by SMSS when bytes_acked reaches cwnd, and
    /// bytes_acked keeps the remainder, so exactly one SMSS per cwnd of acknowledged bytes.
    /// </summary>
    [Fact]
    public void Rfc3465_2_1_congestion_avoidance_adds_one_SMSS_per_cwnd_of_acked_bytes()
    {
        var cc = InCongestionAvoidance(CongestionAlgorithm.NewReno, 20_000);

        for (int i = 0; i < 19; i++)
        {
            AckFull(cc, Mss);
            Assert.Equal(20_000, cc.Window);
        }
        AckFull(cc, Mss); // 20 segments = one cwnd of bytes
        Assert.Equal(21_000, cc.Window);

        for (int i = 0; i < 20; i++) AckFull(cc, Mss);
        Assert.Equal(21_000, cc.Window);
        AckFull(cc, Mss); // the 21st: one cwnd (21_000) of bytes
        Assert.Equal(22_000, cc.Window);

        // Remainders carry: ACKs of 1_500 against cwnd 22_000 reach it on the 15th (22_500), keeping 500;
        // then 23_000 - 500 = 22_500 more bytes, again 15 ACKs (exactly 22_500, remainder 0).
        for (int i = 0; i < 14; i++) AckFull(cc, 1_500);
        Assert.Equal(22_000, cc.Window);
        AckFull(cc, 1_500);
        Assert.Equal(23_000, cc.Window);
        for (int i = 0; i < 14; i++) AckFull(cc, 1_500);
        Assert.Equal(23_000, cc.Window);
        AckFull(cc, 1_500);
        Assert.Equal(24_000, cc.Window);
    }

    /// <summary>RFC 5681 §3.1: in congestion avoidance cwnd "MUST NOT" grow by more than SMSS on one ACK, however large.</summary>
    [Fact]
    public void Rfc5681_3_1_one_ACK_adds_at_most_one_SMSS_in_congestion_avoidance()
    {
        var cc = InCongestionAvoidance(CongestionAlgorithm.NewReno, 20_000);
        AckFull(cc, 60_000);
        Assert.Equal(21_000, cc.Window);
    }

    /// <summary>
    /// RFC 5681 §3.1: an ACK that crosses ssthresh grows cwnd only up to ssthresh; the rest of what it counted
    /// (RFC 3465 §2.3, at most 2*SMSS) is congestion-avoidance bytes (RFC 3465 §2.1).
    /// </summary>
    [Fact]
    public void Rfc5681_3_1_the_ACK_that_crosses_ssthresh_counts_its_rest_toward_congestion_avoidance()
    {
        var cc = InCongestionAvoidance(CongestionAlgorithm.NewReno, 20_000);
        cc.OnRecoveryExit(18_500, Instant.Zero); // cwnd = 19_500
        Assert.Equal(19_500, cc.Window);

        AckFull(cc, 5_000); // counts 2_000 (ABC): 500 to reach ssthresh, 1_500 into bytes_acked
        Assert.Equal(20_000, cc.Window);
        Assert.False(cc.InSlowStart);

        for (int i = 0; i < 18; i++) AckFull(cc, Mss); // 1_500 + 18_000 = 19_500 < 20_000
        Assert.Equal(20_000, cc.Window);
        AckFull(cc, Mss); // 20_500: one cwnd, one ACK sooner than without the carried 1_500
        Assert.Equal(21_000, cc.Window);
    }

    /// <summary>
    /// RFC 5681 §3.2 step 2 (eqn 4) and RFC 6675 §5 step 4.2: ssthresh = cwnd = max(FlightSize / 2, 2*SMSS). It
    /// is the flight, not cwnd, that is halved.
    /// </summary>
    [Fact]
    public void Rfc5681_3_2_congestion_event_sets_ssthresh_and_cwnd_to_half_the_flight()
    {
        var cc = NewReno(40);
        cc.OnCongestionEvent(30_001, Instant.Zero);
        Assert.Equal(15_000, cc.SlowStartThreshold);
        Assert.Equal(15_000, cc.Window);
        Assert.False(cc.InSlowStart);

        cc.OnCongestionEvent(15_000, Instant.Zero); // a second event halves again
        Assert.Equal(7_500, cc.SlowStartThreshold);
        Assert.Equal(7_500, cc.Window);
    }

    /// <summary>
    /// A congestion event discards the byte count (RFC 3465 §2.1's bytes_acked was counted against the old cwnd):
    /// after it, a full new cwnd of bytes is needed for the next SMSS.
    /// </summary>
    [Fact]
    public void Rfc3465_2_1_bytes_acked_restarts_after_a_congestion_event()
    {
        var cc = InCongestionAvoidance(CongestionAlgorithm.NewReno, 20_000);
        for (int i = 0; i < 19; i++) AckFull(cc, Mss); // bytes_acked = 19_000
        cc.OnCongestionEvent(40_000, Instant.Zero); // ssthresh = cwnd = 20_000 again
        cc.OnRecoveryExit(20_000, Instant.Zero);
        AckFull(cc, Mss);
        Assert.Equal(20_000, cc.Window); // would have been 21_000 had the 19_000 survived
        for (int i = 0; i < 19; i++) AckFull(cc, Mss);
        Assert.Equal(21_000, cc.Window);
    }

    /// <summary>
    /// RFC 5681 §3.1: after an RTO, ssthresh = max(FlightSize / 2, 2*SMSS) (eqn 4) and cwnd = LW = 1*SMSS; slow
    /// start then climbs back to the new ssthresh with L = 1*SMSS (RFC 3465 §2.3), after which L is 2*SMSS again.
    /// </summary>
    [Fact]
    public void Rfc5681_3_1_timeout_sets_loss_window_then_slow_starts_to_the_new_ssthresh()
    {
        var cc = NewReno(30);
        cc.OnRetransmissionTimeout(20_000, Instant.Zero);
        Assert.Equal(10_000, cc.SlowStartThreshold);
        Assert.Equal(Mss, cc.Window);
        Assert.True(cc.InSlowStart);

        for (int expected = 2_000; expected <= 10_000; expected += Mss)
        {
            AckFull(cc, 2 * Mss); // delayed ACKs of two segments: + 1 SMSS each after an RTO
            Assert.Equal(expected, cc.Window);
        }
        Assert.False(cc.InSlowStart);
        for (int i = 0; i < 4; i++) AckFull(cc, 2 * Mss); // congestion avoidance: 8_000 of 10_000 bytes
        Assert.Equal(10_000, cc.Window);
        AckFull(cc, 2 * Mss);
        Assert.Equal(11_000, cc.Window);

        // The next slow start (recovery exit below ssthresh) is not after an RTO: L = 2*SMSS again.
        cc.OnCongestionEvent(22_000, Instant.Zero);
        cc.OnRecoveryExit(2_000, Instant.Zero);
        Assert.Equal(3_000, cc.Window);
        AckFull(cc, 2 * Mss);
        Assert.Equal(5_000, cc.Window);
    }

    /// <summary>RFC 5681 §3.1: a second RTO during the slow start after the first halves the (smaller) flight again.</summary>
    [Fact]
    public void Rfc5681_3_1_repeated_timeouts_use_the_flight_at_each_timeout()
    {
        var cc = NewReno(30);
        cc.OnRetransmissionTimeout(30_000, Instant.Zero);
        Assert.Equal(15_000, cc.SlowStartThreshold);
        cc.OnRetransmissionTimeout(Mss, Instant.Zero); // only the retransmission was outstanding
        Assert.Equal(2 * Mss, cc.SlowStartThreshold);
        Assert.Equal(Mss, cc.Window);
    }
}
