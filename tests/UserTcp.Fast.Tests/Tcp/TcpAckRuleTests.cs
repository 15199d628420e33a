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

    /// <summary>The ACKs of a batch as "ack, SACK=..." lines, in offsets into the peer's stream.</summary>
    private static string[] Read(EngineHarness h, List<Sent> acks) => acks.Select(ack =>
    {
        var blocks = Enumerable.Range(0, ack.Options.SackBlockCount).Select(i => ack.Options.GetSackBlock(i))
                               .Select(b => $"{b.Left - h.PeerSeq(0)}-{b.Right - h.PeerSeq(0)}");
        return $"{ack.Ack - h.PeerSeq(0)}" + (ack.Options.SackBlockCount > 0 ? ", SACK=" + string.Join(", ", blocks) : "");
    }).ToArray();

    [Fact] // RFC 5681 §4.2, RFC 2018 §4: each out-of-order segment of a batch gets its own duplicate ACK, with the SACK
    public void Every_out_of_order_segment_of_a_batch_gets_its_own_duplicate_ack() // blocks as of that segment
    {
        var h = Established();
        var batch = new[] { h.PeerData(1000, 1000), h.PeerData(2000, 1000), h.PeerData(4000, 1000) };
        Assert.Equal(["0, SACK=1000-2000", "0, SACK=1000-3000", "0, SACK=4000-5000, 1000-3000"], Read(h, h.DeliverBatch(batch)));
        Assert.Equal(3, h.Connection!.Stats.PureAcksSent - 1); // the handshake's ACK was the first
    }

    [Fact] // reordering inside one receive batch: the duplicate ACKs of holes filled later in the batch are not sent
    public void Reordering_inside_a_batch_gets_one_cumulative_ack()
    {
        var h = Established();
        var batch = new[] { h.PeerData(1000, 1000), h.PeerData(3000, 1000), h.PeerData(0, 1000), h.PeerData(2000, 1000) };
        Assert.Equal(["4000"], Read(h, h.DeliverBatch(batch)));
    }

    [Fact] // RFC 5681 §4.2: a hole still open at the end of the batch is reported by the ACK of its latest segment
    public void A_hole_partly_filled_in_a_batch_is_reported_by_the_ack_of_the_segment_that_filled_it()
    {
        var h = Established();
        var batch = new[] { h.PeerData(1000, 1000), h.PeerData(3000, 1000), h.PeerData(0, 1000) };
        Assert.Equal(["2000, SACK=3000-4000"], Read(h, h.DeliverBatch(batch)));
    }

    [Fact] // RFC 2883: a duplicate's D-SACK goes out even when later data of the batch moved RCV.NXT on
    public void A_d_sack_is_sent_when_later_data_of_the_batch_moved_the_ack_on()
    {
        var h = Established();
        h.DeliverBatch([h.PeerData(0, 1000), h.PeerData(1000, 1000)]);
        Assert.Equal(["3000, SACK=0-1000"], Read(h, h.DeliverBatch([h.PeerData(0, 1000), h.PeerData(2000, 1000)])));
    }

    [Fact] // RFC 5681 §3.2: a sender without SACK needs three duplicate ACKs to retransmit
    public void Without_sack_three_out_of_order_segments_make_three_duplicate_acks()
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 0 });
        h.Establish(sack: false);
        var batch = new[] { h.PeerData(1000, 1000), h.PeerData(2000, 1000), h.PeerData(3000, 1000) };
        Assert.Equal(["0", "0", "0"], Read(h, h.DeliverBatch(batch)));
    }

    [Fact] // RFC 2883 §4: two duplicates in one batch are each reported in the D-SACK block of their own ACK
    public void Each_duplicate_of_a_batch_gets_its_own_d_sack()
    {
        var h = Established();
        h.DeliverBatch([h.PeerData(0, 1000), h.PeerData(1000, 1000), h.PeerData(3000, 1000)]);
        var batch = new[] { h.PeerData(0, 1000), h.PeerData(3000, 1000) };
        Assert.Equal(["2000, SACK=0-1000, 3000-4000", "2000, SACK=3000-4000, 3000-4000"], Read(h, h.DeliverBatch(batch)));
        Assert.Equal(2, h.Connection!.Stats.DuplicateSacksSent);
    }

    [Fact] // the queue is bounded: beyond it, the batch's last ACK carries the newest state
    public void A_batch_longer_than_the_queue_ends_with_one_ack_of_the_newest_state()
    {
        var h = Established();
        var batch = Enumerable.Range(0, 12).Select(i => h.PeerData(1000 + 2000 * i, 1000)).ToArray();
        var sent = Read(h, h.DeliverBatch(batch));
        Assert.Equal(9, sent.Length);
        Assert.Equal("0, SACK=23000-24000, 21000-22000, 19000-20000", sent[^1]);
    }

    /// <summary>A response from the peer at byte <paramref name="offset"/>, acknowledging our first <paramref name="acked"/> bytes.</summary>
    private static (TcpHeader, byte[]) Response(EngineHarness h, int offset, int length, int acked)
    {
        h.PeerTimestamp++;
        return (h.Peer(h.PeerSeq(offset), h.OurSeq(acked), TcpFlags.Ack | TcpFlags.Psh, options: h.PeerTimestampOption()), new byte[length]);
    }

    [Fact] // Linux tcp_event_data_sent (ping-pong mode), RFC 1122 §4.2.3.2: the ACK of a response rides on the next request
    public void A_request_response_exchange_sends_no_pure_ack()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        var buffer = new byte[4096];
        int sent = 0, received = 0;
        for (int exchange = 1; exchange <= 5; exchange++)
        {
            Assert.Equal(100, c.Send(new byte[100]));
            var request = h.FlushSingle();
            Assert.Equal(h.PeerSeq(received), request.Ack);                 // carries the ACK of the previous response
            sent += 100;
            h.Advance(TimeSpan.FromMilliseconds(1));
            var acks = h.DeliverBatch([Response(h, received, 300, sent)], application: () => c.Receive(buffer));
            received += 300;
            // The first response came before any answer of ours, so it is quick-acked (as Linux's); after that, none.
            Assert.Equal(exchange == 1 ? 1 : 0, acks.Count);
            h.Advance(TimeSpan.FromMilliseconds(5));                         // the application thinks, then asks again
        }
        Assert.Equal(0, c.Stats.DelayedAckTimeouts);
    }

    [Fact] // ping-pong mode starts only with an answer: a download right after the request is quick-acked as before
    public void A_bulk_download_after_a_request_is_still_quick_acked_at_the_start()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        c.Send(new byte[100]);
        h.FlushSingle();
        for (int i = 0; i < 4; i++) Assert.Single(h.DeliverBatch([Response(h, i * Mss, Mss, 100)]));
    }

    [Fact] // tcp_delack_timer_handler: an answer that does not come in time ends ping-pong mode
    public void The_delayed_ack_timer_ends_ping_pong_mode()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        var buffer = new byte[4096];
        c.Send(new byte[100]);
        h.FlushSingle();
        Assert.Single(h.DeliverBatch([Response(h, 0, 300, 100)], application: () => c.Receive(buffer)));
        c.Send(new byte[100]);                                               // answered at once: ping-pong
        h.FlushSingle();
        Assert.Empty(h.DeliverBatch([Response(h, 300, 300, 200)], application: () => c.Receive(buffer)));
        h.AdvanceToNextDeadline();                                            // no answer: the delayed ACK, 40 ms later
        Assert.Equal(h.PeerSeq(600), h.FlushSingle().Ack);
        Assert.Single(h.DeliverBatch([Response(h, 600, 300, 200)]));          // quick-acked again
    }

    [Fact] // tcp_dsack_extend: beyond the queue, a burst of duplicates is reported as one D-SACK block
    public void Duplicates_beyond_the_queue_are_reported_in_one_extended_d_sack()
    {
        var h = Established();
        h.DeliverBatch(Enumerable.Range(0, 12).Select(i => h.PeerData(1000 * i, 1000)).ToArray());
        var sent = Read(h, h.DeliverBatch(Enumerable.Range(0, 12).Select(i => h.PeerData(1000 * i, 1000)).ToArray()));
        Assert.Equal(ImmediateAckQueue.Capacity + 1, sent.Length);
        Assert.Equal("12000, SACK=0-1000", sent[0]);
        Assert.Equal("12000, SACK=8000-12000", sent[^1]);
    }
}
