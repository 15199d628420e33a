using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>
/// When the receiver's ACKs leave, through the path the live loop runs (<see cref="EngineHarness.DeliverBatch"/>: a
/// flush whenever the engine says an ACK cannot wait, the application's turn, the batch's flush), for segments of every
/// size: Linux's tcp_measure_rcv_mss, __tcp_ack_snd_check and tcp_cleanup_rbuf; RFC 9293 §3.8.6.3, RFC 5681 §4.2.
/// </summary>
public sealed class TcpAckRuleTests
{
    private const int Mss = 1448; // 1460 less the timestamp option

    private static EngineHarness Established(int quickAcks = 0)
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = quickAcks });
        h.Establish();
        return h;
    }

    /// <summary>Segments of the given sizes, back to back from byte <paramref name="offset"/>.</summary>
    private static List<(TcpHeader, byte[])> Segments(EngineHarness h, ref int offset, params int[] sizes)
    {
        var segments = new List<(TcpHeader, byte[])>();
        foreach (int size in sizes)
        {
            segments.Add(h.PeerData(offset, size));
            offset += size;
        }
        return segments;
    }

    [Fact]
    public void Smaller_segments_after_full_ones_count_by_their_bytes()
    {
        var h = Established();
        int offset = 0;
        Assert.Empty(h.DeliverBatch(Segments(h, ref offset, Mss)));       // one segment: the delayed ACK may wait
        var sent = h.DeliverBatch(Segments(h, ref offset, 1000));         // a server writing 1000-byte pieces
        var ack = Assert.Single(sent);
        Assert.Equal(h.PeerSeq(Mss + 1000), ack.Ack);                      // more than one segment's worth was unacknowledged
    }

    [Fact]
    public void The_segment_size_estimate_follows_a_sender_that_clamps_down()
    {
        var h = Established();
        int offset = 0;
        Assert.Single(h.DeliverBatch(Segments(h, ref offset, Mss, Mss)));
        Assert.Empty(h.DeliverBatch(Segments(h, ref offset, 700)));       // MSS clamped to 700 on the path: the first
        var sent = h.DeliverBatch(Segments(h, ref offset, 700));          // two in a row agree, so 1400 bytes are two segments
        Assert.Equal(h.PeerSeq(2 * Mss + 1400), Assert.Single(sent).Ack);
        Assert.Empty(h.DeliverBatch(Segments(h, ref offset, 700)));
        Assert.Single(h.DeliverBatch(Segments(h, ref offset, 700)));      // and every second 700-byte segment is ACKed
    }

    [Fact]
    public void A_gso_super_frame_counts_by_its_segment_size_not_as_one_huge_segment()
    {
        var h = Established();
        int offset = 0;
        Assert.Single(h.DeliverBatch(Segments(h, ref offset, 10 * Mss)));
        Assert.Empty(h.DeliverBatch(Segments(h, ref offset, Mss)));
        Assert.Single(h.DeliverBatch(Segments(h, ref offset, Mss)));      // two full segments: ACK, as after MTU frames
    }

    [Fact]
    public void A_pushed_tail_is_acknowledged_as_soon_as_the_reader_drains_it()
    {
        var h = Established();
        int offset = 0;
        Assert.Single(h.DeliverBatch(Segments(h, ref offset, Mss, Mss)));
        var c = h.Connection!;
        var buffer = new byte[1 << 16];
        c.Receive(buffer);
        h.Flush();
        var tail = new[] { h.PeerData(offset, 500, TcpFlags.Ack | TcpFlags.Psh) };
        var sent = h.DeliverBatch(tail, application: () => c.Receive(buffer));
        Assert.Equal(h.PeerSeq(2 * Mss + 500), Assert.Single(sent).Ack);   // not 40 ms later
        h.Advance(TimeSpan.FromMilliseconds(100));
        h.FlushNothing();
        Assert.Equal(0, c.Stats.DelayedAckTimeouts);
    }

    [Fact]
    public void A_tail_nobody_reads_waits_for_the_delayed_ack_timer()
    {
        var h = Established();
        int offset = 0;
        Assert.Single(h.DeliverBatch(Segments(h, ref offset, Mss, Mss)));
        Assert.Empty(h.DeliverBatch([h.PeerData(offset, 500, TcpFlags.Ack | TcpFlags.Psh)]));
        var start = h.Now;
        h.AdvanceToNextDeadline();
        Assert.Equal(40, (h.Now - start).TotalMilliseconds);
        Assert.Equal(h.PeerSeq(2 * Mss + 500), h.FlushSingle().Ack);
        Assert.Equal(1, h.Connection!.Stats.DelayedAckTimeouts);
    }

    [Fact]
    public void After_an_idle_period_the_first_segments_are_acknowledged_at_once()
    {
        var h = Established(quickAcks: 2);
        int offset = 0;
        Assert.Single(h.DeliverBatch(Segments(h, ref offset, Mss)));      // quick-ack at the start
        Assert.Single(h.DeliverBatch(Segments(h, ref offset, Mss)));
        Assert.Empty(h.DeliverBatch(Segments(h, ref offset, Mss)));       // then the delayed ACK
        h.AdvanceToNextDeadline();
        h.FlushSingle();

        h.Advance(TimeSpan.FromSeconds(5));                                // longer than the RTO: quick-ack again
        var sent = h.DeliverBatch(Segments(h, ref offset, Mss));
        Assert.Equal(h.PeerSeq(4 * Mss), Assert.Single(sent).Ack);
    }
}
