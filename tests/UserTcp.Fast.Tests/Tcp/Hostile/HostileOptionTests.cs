using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp.Hostile;

/// <summary>
/// A peer whose options are out of range or whose clock lies: window scale above 14, MSS 1 and 0, timestamps that jump
/// across 2^31. Each is clamped or dropped as Linux does, and the connection goes on.
/// </summary>
public sealed class HostileOptionTests
{
    private static byte[] Data(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

    [Theory] // RFC 7323 §2.3: a shift above 14 is used as 14 (a window of at most 2^30)
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(255)]
    public void Window_scale_above_14_is_used_as_14(byte offered)
    {
        var h = new EngineHarness();
        var c = h.Establish(windowScale: offered);
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), window: ushort.MaxValue, options: h.PeerTimestampOption()));
        Assert.Equal((long)ushort.MaxValue << 14, c.PeerWindow);
        c.Send(Data(100_000));
        var sent = h.Flush();
        Assert.Equal(10, sent.Count); // the initial congestion window bounds the flight, not a wrapped peer window
        Assert.All(sent, s => Assert.Equal(c.SendMss, s.Payload.Length));
    }

    [Theory] // Linux: MSS 0 is ignored (536 then), anything below TCP_MIN_SND_MSS (48) is raised to it; minus 12 for timestamps
    [InlineData(0, 536 - 12)]
    [InlineData(1, 48 - 12)]
    [InlineData(47, 48 - 12)]
    [InlineData(48, 48 - 12)]
    [InlineData(70, 70 - 12)]   // threw in the congestion controller before (under 64 once the timestamps' 12 are off)
    [InlineData(100, 100 - 12)]
    public void Tiny_mss_is_raised_to_the_floor(int offered, int expected)
    {
        var h = new EngineHarness();
        var c = h.Establish(mss: (ushort)offered);
        Assert.Equal(expected, c.SendMss);
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), options: h.PeerTimestampOption()));
        c.Send(Data(1000));
        var sent = h.Flush();
        Assert.NotEmpty(sent);
        Assert.All(sent, s => Assert.InRange(s.Payload.Length, 1, expected));
        Assert.Equal(Math.Min(1000, expected), sent[0].Payload.Length);
    }

    [Fact] // the same floor for a passive open: the listener's connection cuts no segment below it
    public void Tiny_mss_in_a_syn_to_a_listener_is_raised_to_the_floor()
    {
        var h = new EngineHarness();
        h.Stack.Listen(8080);
        h.Deliver(h.Peer(77_000, 0, TcpFlags.Syn, options: new TcpOptions { MaximumSegmentSize = 1 }), localPort: 8080);
        var synAck = h.FlushSingle();
        h.Deliver(h.Peer(77_001, synAck.Seq + 1), localPort: 8080);
        var c = Assert.Single(h.Stack.Connections);
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(48, c.SendMss);
    }

    [Fact] // RFC 7323 §5.3: a TSval more than 2^31 ahead reads as older than TS.Recent: PAWS drops it, the stream goes on
    public void Timestamp_jumping_across_2_pow_31_is_dropped_by_paws()
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 0 });
        var c = h.Establish();
        uint clock = h.PeerTimestamp;
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), options: new TcpOptions { Timestamps = new TcpTimestamps(clock + 1, 0) }), Data(100));
        h.Deliver(h.Peer(h.PeerSeq(100), h.OurSeq(0), options: new TcpOptions { Timestamps = new TcpTimestamps(unchecked(clock + 1 + 0x8000_0001u), 0) }), Data(100));
        Assert.Equal(1, c.Stats.PawsRejected);
        Assert.Equal(100, c.BytesAvailable);
        h.Deliver(h.Peer(h.PeerSeq(100), h.OurSeq(0), options: new TcpOptions { Timestamps = new TcpTimestamps(clock + 2, 0) }), Data(100));
        Assert.Equal(200, c.BytesAvailable);
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact] // RFC 7323 §5.2: a peer clock that wraps past 2^32 is still monotonic: nothing is dropped
    public void Timestamps_wrapping_past_2_pow_32_are_accepted()
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 0 }) { PeerTimestamp = uint.MaxValue - 5 };
        var c = h.Establish();
        for (int i = 0; i < 10; i++)
        {
            h.PeerTimestamp++; // wraps to 0 half-way
            h.Deliver(h.Peer(h.PeerSeq(i * 100), h.OurSeq(0), options: h.PeerTimestampOption()), Data(100));
        }
        Assert.Equal(0, c.Stats.PawsRejected);
        Assert.Equal(1000, c.BytesAvailable);
    }

    [Fact] // RFC 9293 §3.10.7.4, RFC 5961 §5.2: ACKs of data never sent free nothing, open nothing, and their answers are limited
    public void Acks_of_data_never_sent_change_nothing()
    {
        var h = new EngineHarness(new TcpConfig { ChallengeAcksPerSecond = 10 });
        var c = h.Establish();
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), options: h.PeerTimestampOption()));
        c.Send(Data(50_000));
        var first = h.Flush();
        int cwnd = c.CongestionWindow;
        int answered = 0;
        for (int i = 1; i <= 1000; i++)
        {
            h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(50_000 + i * 1000), options: h.PeerTimestampOption()));
            answered += h.Flush().Count;
        }
        Assert.Equal(10, answered);
        Assert.All(first, s => Assert.NotEmpty(s.Payload));
        Assert.Equal(50_000, c.BytesUnacknowledged);
        Assert.Equal(cwnd, c.CongestionWindow);
        Assert.Equal(990, c.Stats.AnswersRateLimited);
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(first.Sum(s => s.Payload.Length)), options: h.PeerTimestampOption())); // the real ACK
        Assert.Equal(50_000 - first.Sum(s => s.Payload.Length), c.BytesUnacknowledged);
    }
}
