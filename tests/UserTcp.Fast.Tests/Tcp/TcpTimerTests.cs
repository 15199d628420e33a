using UserTcp.Fast.Tcp;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>Keepalive (RFC 1122 §4.2.3.6) and the arrival-to-ACK delay the stack records.</summary>
public sealed class TcpTimerTests
{
    private static readonly TcpConfig KeepAlive = new()
    {
        KeepAliveIdle = TimeSpan.FromSeconds(10),
        KeepAliveInterval = TimeSpan.FromSeconds(2),
        KeepAliveProbes = 3,
    };

    [Fact] // RFC 1122 §4.2.3.6: an idle connection is probed with an old sequence number; an answer keeps it alive
    public void Idle_connection_is_probed_and_an_answer_keeps_it()
    {
        var h = new EngineHarness(KeepAlive);
        var c = h.Establish();
        var start = h.Now;
        h.AdvanceToNextDeadline();
        Assert.Equal(10, (h.Now - start).TotalSeconds, 3);
        var probe = h.FlushSingle();
        Assert.Equal(h.OurSeq(-1), probe.Seq); // SEG.SEQ = SND.NXT - 1: the peer must answer with an ACK
        Assert.Empty(probe.Payload);
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), options: h.PeerTimestampOption()));
        Assert.Equal(h.Now + TimeSpan.FromSeconds(10), h.Stack.NextDeadline);
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(1, c.Stats.KeepAlivesSent);
    }

    [Fact] // RFC 1122 §4.2.3.6: unanswered probes end the connection with a timeout
    public void Unanswered_keepalives_time_the_connection_out()
    {
        var h = new EngineHarness(KeepAlive);
        var c = h.Establish();
        for (int i = 0; i < 3; i++)
        {
            h.AdvanceToNextDeadline();
            Assert.Single(h.Flush());
        }
        h.AdvanceToNextDeadline();
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.TimedOut, c.Error);
        Assert.Equal(3, c.Stats.KeepAlivesSent);
    }

    [Fact] // RFC 5482 / Linux TCP_USER_TIMEOUT with keepalive: the time since the peer was last heard decides, not the probe count
    public void With_a_user_timeout_unanswered_keepalives_end_the_connection_when_it_passes()
    {
        var h = new EngineHarness(KeepAlive with { KeepAliveProbes = 100, UserTimeout = TimeSpan.FromSeconds(15) });
        var c = h.Establish();
        var heard = h.Now;
        while (c.State != TcpState.Closed)
        {
            h.AdvanceToNextDeadline();
            h.Flush();
            Assert.True(h.Now - heard <= TimeSpan.FromSeconds(15), $"still open at {(h.Now - heard).TotalSeconds} s");
        }
        Assert.Equal(15, (h.Now - heard).TotalSeconds, 3); // idle 10 s, probes at 10, 12, 14, the end at 15
        Assert.Equal(TcpError.TimedOut, c.Error);
        Assert.Equal(3, c.Stats.KeepAlivesSent);
    }

    [Fact] // keepalive is off by default: an idle connection arms no timer
    public void Keepalive_is_off_by_default()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        Assert.True(c.HasNoTimers);
    }

    [Fact] // the recorded delay is from each segment's arrival to the ACK that covered it
    public void Ack_latency_is_measured_per_segment()
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 0 });
        h.Establish();
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), options: h.PeerTimestampOption()), new byte[1448]);
        h.AdvanceToNextDeadline(); // the delayed ACK, 40 ms later
        h.FlushSingle();
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(1448), h.OurSeq(0), options: h.PeerTimestampOption()), new byte[1448]);
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(2896), h.OurSeq(0), options: h.PeerTimestampOption()), new byte[1448]);
        h.FlushSingle(); // two full segments: ACKed at once
        var latency = h.Stack.AckLatency;
        Assert.Equal(3, latency.Count);
        Assert.Equal(40_000_000, latency.MaxNanoseconds);
        Assert.Equal(0, latency.Percentile(50));
    }
}
