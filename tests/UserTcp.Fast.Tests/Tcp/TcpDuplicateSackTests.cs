using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>
/// D-SACK (RFC 2883): data that arrives again is reported in the first SACK block of the next ACK, once. The examples
/// of RFC 2883 §4.1–4.2 literally, with the RFC's sequence numbers as offsets into the peer's stream, each segment
/// delivered as its own receive batch (<see cref="EngineHarness.DeliverBatch"/>), which is how an ACK per segment looks.
/// </summary>
public sealed class TcpDuplicateSackTests
{
    /// <summary>An established connection that has received bytes [0, <paramref name="upTo"/>) in order.</summary>
    private static EngineHarness ReceivedUpTo(int upTo, bool sack = true)
    {
        var h = new EngineHarness();
        h.Establish(sack: sack);
        for (int offset = 0; offset < upTo; offset += 500) h.DeliverBatch([h.PeerData(offset, 500)]);
        return h;
    }

    /// <summary>The one ACK a segment of [<paramref name="from"/>, <paramref name="to"/>) gets.</summary>
    private static Sent Segment(EngineHarness h, int from, int to) => Assert.Single(h.DeliverBatch([h.PeerData(from, to - from)]));

    /// <summary>The ACK as the RFC's tables write it, in offsets into the peer's stream: "4000, SACK=3000-3500, 4500-5000".</summary>
    private static string Read(EngineHarness h, Sent ack)
    {
        var blocks = new string[ack.Options.SackBlockCount];
        for (int i = 0; i < blocks.Length; i++)
        {
            var block = ack.Options.GetSackBlock(i);
            blocks[i] = $"{block.Left - h.PeerSeq(0)}-{block.Right - h.PeerSeq(0)}";
        }
        return $"{ack.Ack - h.PeerSeq(0)}" + (blocks.Length > 0 ? ", SACK=" + string.Join(", ", blocks) : "");
    }

    [Fact]
    public void Example_1_a_duplicate_segment_below_the_cumulative_ack()
    {
        var h = ReceivedUpTo(3000);
        Segment(h, 3000, 3500);                                           // ACK dropped
        Segment(h, 3500, 4000);                                           // ACK dropped
        Assert.Equal("4000, SACK=3000-3500", Read(h, Segment(h, 3000, 3500)));
        Assert.Equal(1, h.Connection!.Stats.DuplicateSacksSent);
    }

    [Fact]
    public void Example_2_an_out_of_order_segment_and_a_duplicate_segment()
    {
        var h = ReceivedUpTo(3000);
        Segment(h, 3000, 3500);
        Segment(h, 3500, 4000);
        Assert.Equal("4000, SACK=4500-5000", Read(h, Segment(h, 4500, 5000))); // 4000-4499 lost
        Assert.Equal("4000, SACK=3000-3500, 4500-5000", Read(h, Segment(h, 3000, 3500)));
    }

    [Fact]
    public void Example_3_a_duplicate_of_an_out_of_order_segment()
    {
        var h = ReceivedUpTo(3500);
        Assert.Equal("4000", Read(h, Segment(h, 3500, 4000)));
        Assert.Equal("4000, SACK=4500-5000", Read(h, Segment(h, 4500, 5000)));
        Assert.Equal("4000, SACK=4500-5500", Read(h, Segment(h, 5000, 5500)));
        Assert.Equal("4000, SACK=5000-5500, 4500-5500", Read(h, Segment(h, 5000, 5500)));
        Assert.Equal(1, h.Connection!.Stats.DuplicateSegments);
    }

    [Fact]
    public void Example_4_a_single_duplicate_subsegment()
    {
        var h = ReceivedUpTo(500);
        Assert.Equal("1000", Read(h, Segment(h, 500, 1000)));
        Assert.Equal("1000, SACK=2000-2500", Read(h, Segment(h, 2000, 2500))); // 1000-1499 delayed, 1500-1999 lost
        Assert.Equal("1500, SACK=2000-2500", Read(h, Segment(h, 1000, 1500)));
        Assert.Equal("2500, SACK=1000-1500", Read(h, Segment(h, 1000, 2000))); // the sender now sends 1000 bytes
    }

    [Fact]
    public void Example_5_two_non_contiguous_duplicate_subsegments_covered_by_the_cumulative_ack()
    {
        var h = ReceivedUpTo(500);
        Segment(h, 500, 1000);
        Assert.Equal("1000, SACK=3000-3500", Read(h, Segment(h, 3000, 3500)));
        Assert.Equal("1500, SACK=3000-3500", Read(h, Segment(h, 1000, 1500)));
        Assert.Equal("1500, SACK=2000-2500, 3000-3500", Read(h, Segment(h, 2000, 2500)));
        Assert.Equal("2500, SACK=1000-1500, 3000-3500", Read(h, Segment(h, 1000, 2500))); // only the first is reported
    }

    [Fact]
    public void A_segment_partly_inside_held_data_reports_the_overlap()
    {
        var h = ReceivedUpTo(4000);
        Segment(h, 4500, 5000);
        Assert.Equal("4000, SACK=4500-5000, 4500-5500", Read(h, Segment(h, 4500, 5500))); // Linux tcp_data_queue_ofo
    }

    [Fact]
    public void A_d_sack_is_reported_once()
    {
        var h = ReceivedUpTo(3000);
        Segment(h, 3000, 3500);
        Assert.Equal("3500, SACK=3000-3500", Read(h, Segment(h, 3000, 3500)));
        h.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal("4000", Read(h, Segment(h, 3500, 4000)));
    }

    [Fact]
    public void Without_sack_a_duplicate_gets_a_plain_ack()
    {
        var h = ReceivedUpTo(3000, sack: false);
        Segment(h, 3000, 3500);
        Assert.Equal("3500", Read(h, Segment(h, 3000, 3500)));
        Assert.Equal(0, h.Connection!.Stats.DuplicateSacksSent);
    }
}
