using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp.Hostile;

/// <summary>
/// A peer that takes some data, then advertises a zero window forever and answers every probe (Linux tcp_probe_timer;
/// RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17, RFC 5482). The probes back off to the maximum RTO; without a user timeout the
/// connection waits as long as the peer answers, holding no more memory than it did; a user timeout, or the application
/// going away, ends it.
/// </summary>
public sealed class ZeroWindowPeerTests
{
    private const int Queued = 60_000; // within the initial send buffer: all of it is taken

    /// <summary>Established; 10 segments sent and acknowledged with a zero window; <see cref="Queued"/> more bytes waiting.</summary>
    private static (EngineHarness, TcpConnection, int Acked) Stalled(TcpConfig config)
    {
        var h = new EngineHarness(config);
        var c = h.Establish();
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), options: h.PeerTimestampOption()));
        Assert.Equal(Queued, c.Send(new byte[Queued]));
        int acked = h.Flush().Sum(s => s.Payload.Length);
        ZeroWindowAck(h, acked);
        h.FlushNothing();
        return (h, c, acked);
    }

    private static void ZeroWindowAck(EngineHarness h, int ourOffset)
    {
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(ourOffset), window: 0, options: h.PeerTimestampOption()));
    }

    /// <summary>Runs the clock for <paramref name="duration"/>, answering every probe with a zero window; returns the probe times.</summary>
    private static List<Instant> AnswerProbes(EngineHarness h, TcpConnection c, int acked, TimeSpan duration)
    {
        var probes = new List<Instant>();
        var end = h.Now + duration;
        while (c.State != TcpState.Closed && !h.Stack.NextDeadline.IsNever && h.Stack.NextDeadline <= end)
        {
            h.AdvanceToNextDeadline();
            foreach (var probe in h.Flush())
            {
                Assert.Equal(h.OurSeq(acked), probe.Seq);
                Assert.Single(probe.Payload); // RFC 9293 §3.8.6.1: one byte
                probes.Add(h.Now);
                ZeroWindowAck(h, acked); // the byte is refused: the window is still closed
            }
        }
        return probes;
    }

    [Fact] // answered probes keep it open (two hours here), backing off to the maximum RTO; memory stays what it was
    public void Answered_probes_keep_the_connection_and_back_off_to_the_maximum()
    {
        var (h, c, acked) = Stalled(new TcpConfig());
        long held = c.BufferBytesHeld;
        var probes = AnswerProbes(h, c, acked, TimeSpan.FromHours(2));
        Assert.Equal(TcpState.Established, c.State);
        var gaps = probes.Zip(probes.Skip(1), (a, b) => b - a).ToList();
        for (int i = 1; i < gaps.Count; i++) Assert.True(gaps[i] >= gaps[i - 1], $"gap {i} shrank: {gaps[i - 1]} then {gaps[i]}");
        Assert.Equal(h.Config.MaxRetransmissionTimeout, gaps[^1]);
        Assert.InRange(probes.Count, 110, 140); // 2 h at 60 s, after a dozen doublings from 200 ms
        Assert.True(c.BufferBytesHeld <= held, $"{c.BufferBytesHeld} bytes of buffers held, {held} when the window closed");
        Assert.Equal(Queued - acked, c.BytesUnacknowledged);
        // The window opens: the queued data flows.
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(acked), options: h.PeerTimestampOption()));
        Assert.NotEmpty(h.Flush());
    }

    [Fact] // RFC 5482, Linux TCP_USER_TIMEOUT in tcp_probe_timer: answered or not, the probing ends after the user timeout
    public void User_timeout_ends_the_probing_even_when_answered()
    {
        var userTimeout = TimeSpan.FromMinutes(5);
        var (h, c, acked) = Stalled(new TcpConfig { UserTimeout = userTimeout });
        var start = h.Now;
        var probes = AnswerProbes(h, c, acked, TimeSpan.FromHours(1));
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.TimedOut, c.Error);
        var lasted = h.Now - start;
        Assert.InRange(lasted, userTimeout, userTimeout + h.Config.MaxRetransmissionTimeout);
        Assert.True(probes.Count < 20, $"{probes.Count} probes");
    }

    [Fact] // Linux tcp_orphan_retries: once the application is gone, answers no longer reset the count of probes
    public void Orphaned_connection_gives_up_after_the_retry_count()
    {
        var (h, c, acked) = Stalled(new TcpConfig { MaxRetransmissions = 6 });
        c.Close();
        c.Orphan(h.Now);
        var probes = AnswerProbes(h, c, acked, TimeSpan.FromHours(1));
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.TimedOut, c.Error);
        Assert.Equal(6, probes.Count);
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact] // RFC 5482 for data: unacknowledged, unanswered data ends the connection after the user timeout, before the retry count
    public void User_timeout_bounds_retransmission_too()
    {
        var h = new EngineHarness(new TcpConfig { UserTimeout = TimeSpan.FromSeconds(10), MaxRetransmissions = 30 });
        var c = h.Establish();
        c.Send(new byte[1000]);
        h.Flush();
        var start = h.Now;
        while (c.State != TcpState.Closed)
        {
            h.AdvanceToNextDeadline();
            h.Flush();
        }
        Assert.Equal(TcpError.TimedOut, c.Error);
        Assert.InRange(h.Now - start, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10) + h.Config.MaxRetransmissionTimeout);
        Assert.True(c.Stats.RetransmissionTimeouts < 30);
    }
}
