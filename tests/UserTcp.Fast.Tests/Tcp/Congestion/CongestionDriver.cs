using UserTcp.Fast.Tcp.Congestion;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tests.Tcp.Congestion;

/// <summary>Feeds a controller ACKs the way a sender would: flight before each ACK, a virtual clock, an SRTT.</summary>
internal static class CongestionDriver
{
    public const int Mss = 1000;

    public static TheoryData<CongestionAlgorithm> BothAlgorithms => new() { CongestionAlgorithm.NewReno, CongestionAlgorithm.Cubic };

    /// <summary>An ACK while the sender filled cwnd (FlightSize = cwnd before the ACK).</summary>
    public static void AckFull(CongestionControl cc, int ackedBytes, Instant now = default, TimeSpan smoothedRtt = default) =>
        cc.OnAcked(ackedBytes, cc.Window, now, smoothedRtt);

    /// <summary>
    /// One round trip of a window-limited sender: cwnd/SMSS ACKs of one SMSS each, spread evenly over
    /// <paramref name="rtt"/> starting after <paramref name="start"/>. Returns the time of the last ACK.
    /// </summary>
    public static Instant Round(CongestionControl cc, Instant start, TimeSpan rtt)
    {
        int acks = Math.Max(1, cc.Window / cc.MaxSegmentSize);
        long step = rtt.Ticks * 100 / acks;
        Instant at = start;
        for (int i = 1; i <= acks; i++)
        {
            at = new Instant(start.Nanoseconds + i * step);
            cc.OnAcked(cc.MaxSegmentSize, cc.Window, at, rtt);
        }
        return at;
    }

    /// <summary>A controller in congestion avoidance at cwnd = ssthresh = <paramref name="cwnd"/> (NewReno: event at 2*cwnd of flight).</summary>
    public static CongestionControl InCongestionAvoidance(CongestionAlgorithm algorithm, int cwnd)
    {
        var cc = CongestionControl.Create(algorithm, Mss, 10);
        double beta = algorithm == CongestionAlgorithm.NewReno ? 0.5 : 0.7;
        cc.OnCongestionEvent((int)Math.Ceiling(cwnd / beta), Instant.Zero);
        cc.OnRecoveryExit(cc.Window, Instant.Zero);
        Assert.Equal(cwnd, cc.Window);
        Assert.Equal(cwnd, cc.SlowStartThreshold);
        return cc;
    }
}
