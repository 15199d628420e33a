using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>ESTABLISHED, sending: segmentation, Nagle, windows, RTO, fast retransmit, SACK recovery, persist.</summary>
public sealed class TcpSendTests
{
    private const int Mss = 1448;

    private static byte[] Data(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

    private static void AckFromPeer(EngineHarness h, int ourOffset, ushort window = 65535, TcpOptions options = default)
    {
        h.PeerTimestamp++;
        var o = options;
        o.Timestamps = new TcpTimestamps(h.PeerTimestamp, 0);
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(ourOffset), TcpFlags.Ack, window, o));
    }

    /// <summary>Established, and the peer's first ACK has already given its scaled window (as Linux's does).</summary>
    private static (EngineHarness, TcpConnection) Sender(TcpConfig? config = null, bool sack = true, byte? windowScale = 7, uint iss = 5_000)
    {
        var h = new EngineHarness(config, iss);
        var c = h.Establish(sack: sack, windowScale: windowScale);
        AckFromPeer(h, 0);
        h.FlushNothing();
        return (h, c);
    }

    [Fact] // RFC 9293 §3.7.1, RFC 6928: MSS-sized segments, an initial window of ten, PSH on the last piece of the data
    public void Data_is_cut_into_mss_segments_up_to_the_initial_window()
    {
        var (h, c) = Sender(new TcpConfig { InitialSendBufferSize = 128 << 10 });
        var data = Data(100_000);
        Assert.Equal(100_000, c.Send(data));
        var sent = h.Flush();
        Assert.Equal(10, sent.Count);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(h.OurSeq(i * Mss), sent[i].Seq);
            Assert.Equal(data.AsSpan(i * Mss, Mss).ToArray(), sent[i].Payload);
            Assert.Equal(TcpFlags.Ack, sent[i].Flags);
        }
    }

    [Fact] // RFC 5681 §3.1 (with RFC 3465 ABC): each ACK in slow start opens the window for more segments
    public void Acks_open_the_congestion_window()
    {
        var (h, c) = Sender();
        c.Send(Data(200_000));
        Assert.Equal(10, h.Flush().Count);
        AckFromPeer(h, 2 * Mss);
        var more = h.Flush();
        Assert.True(more.Count >= 3, $"expected the window to grow by at least the acknowledged segments, got {more.Count}");
        Assert.Equal(h.OurSeq(10 * Mss), more[0].Seq);
    }

    [Fact] // RFC 9293 §3.8.6, §3.8.6.2.1: the peer's window bounds the flight; no silly small segment fills its end
    public void Peer_window_limits_the_flight()
    {
        var (h, c) = Sender(windowScale: null);
        c.Send(Data(50_000));
        Assert.Equal(10, h.Flush().Count);
        AckFromPeer(h, 2 * Mss, window: 3000); // window of 3000 from SND.UNA: 8 segments still in flight exceed it
        h.FlushNothing();
        AckFromPeer(h, 10 * Mss, window: 3000);
        var sent = h.Flush();
        Assert.Equal(2, sent.Count); // 1448 + 1448 fit; the 104 bytes left would be a silly window segment
        Assert.Equal(h.OurSeq(10 * Mss), sent[0].Seq);
        Assert.Equal(h.OurSeq(11 * Mss), sent[1].Seq);
    }

    [Fact] // RFC 9293 §3.7.4 Nagle: a small segment waits while another is unacknowledged; NoDelay sends it
    public void Nagle_holds_small_segments_while_data_is_unacknowledged()
    {
        var (h, c) = Sender();
        c.Send(Data(100));
        Assert.Equal(100, h.FlushSingle().Payload.Length);
        c.Send(Data(100));
        h.FlushNothing();
        AckFromPeer(h, 100);
        Assert.Equal(100, h.FlushSingle().Payload.Length);

        var (fast, d) = Sender(new TcpConfig { NoDelay = true });
        d.Send(Data(100));
        fast.FlushSingle();
        d.Send(Data(100));
        Assert.Equal(100, fast.FlushSingle().Payload.Length);
    }

    [Fact] // RFC 6298 §5: retransmit after the RTO, back off, and give up after the configured count
    public void Unacknowledged_data_is_retransmitted_with_backoff_then_times_out()
    {
        var (h, c) = Sender(new TcpConfig { MaxRetransmissions = 3 });
        c.Send(Data(500));
        var first = h.FlushSingle();
        var expectedGaps = new[] { 200.0, 400.0, 800.0 }; // min RTO 200 ms, doubled each time (§5.5)
        foreach (double gap in expectedGaps)
        {
            var before = h.Now;
            h.AdvanceToNextDeadline();
            Assert.Equal(gap, (h.Now - before).TotalMilliseconds, 3);
            var again = h.FlushSingle();
            Assert.Equal(first.Seq, again.Seq);
            Assert.Equal(first.Payload, again.Payload);
        }
        h.AdvanceToNextDeadline();
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.TimedOut, c.Error);
        Assert.Equal(3, c.Stats.RetransmissionTimeouts);
    }

    [Fact] // RFC 6298 §5.3: an ACK of new data restarts the timer from now
    public void Ack_of_new_data_restarts_the_retransmission_timer()
    {
        var (h, c) = Sender();
        c.Send(Data(3 * Mss));
        h.Flush();
        var firstDeadline = h.Stack.NextDeadline;
        h.Advance(TimeSpan.FromMilliseconds(150));
        AckFromPeer(h, Mss);
        Assert.Equal(h.Now + c.RetransmissionTimeout, h.Stack.NextDeadline);
        Assert.True(h.Stack.NextDeadline > firstDeadline);
        Assert.True(c.SmoothedRtt > TimeSpan.FromMilliseconds(10)); // RFC 6298 §2.3: SRTT moved 1/8 of the way to 150 ms
    }

    [Fact] // RFC 5681 §3.2: three duplicate ACKs (no SACK) retransmit the missing segment at once
    public void Three_duplicate_acks_trigger_fast_retransmit()
    {
        var (h, c) = Sender(sack: false);
        c.Send(Data(10 * Mss));
        h.Flush();
        for (int i = 0; i < 3; i++) AckFromPeer(h, 0);
        var rtx = h.FlushSingle();
        Assert.Equal(h.OurSeq(0), rtx.Seq);
        Assert.Equal(Mss, rtx.Payload.Length);
        Assert.Equal(1, c.Stats.FastRetransmits);
        Assert.True(c.CongestionWindow < 10 * Mss);
    }

    [Fact] // RFC 6582 §3.2 step 4: a partial ACK retransmits the next hole at once
    public void Partial_ack_retransmits_the_next_hole()
    {
        var (h, c) = Sender(sack: false);
        c.Send(Data(10 * Mss));
        h.Flush();
        for (int i = 0; i < 3; i++) AckFromPeer(h, 0);
        h.FlushSingle();
        AckFromPeer(h, 3 * Mss); // segments 0..2 arrived, 3 is missing too
        var sent = h.Flush();
        Assert.Equal(h.OurSeq(3 * Mss), sent[0].Seq);
    }

    [Fact] // RFC 6675 §5: SACK blocks mark the hole lost; only the hole is retransmitted
    public void Sack_recovery_retransmits_only_the_hole()
    {
        var (h, c) = Sender();
        c.Send(Data(10 * Mss));
        h.Flush();
        for (int k = 2; k <= 4; k++)
        {
            var sack = new TcpOptions();
            sack.AddSackBlock(new SackBlock(h.OurSeq(Mss), h.OurSeq(k * Mss)));
            AckFromPeer(h, 0, options: sack);
        }
        var sent = h.Flush();
        Assert.Equal(h.OurSeq(0), sent[0].Seq);
        Assert.DoesNotContain(sent, s => s.Seq == h.OurSeq(Mss)); // SACKed data is not sent again
        Assert.Equal(1, c.Stats.FastRetransmits);
    }

    [Fact] // RFC 9293 §3.8.6.1: a zero window is probed with one byte after the RTO, with backoff
    public void Zero_window_is_probed_with_one_byte()
    {
        var (h, c) = Sender();
        c.Send(Data(Mss));
        h.FlushSingle();
        AckFromPeer(h, Mss, window: 0);
        c.Send(Data(5000));
        h.FlushNothing();
        h.AdvanceToNextDeadline();
        var probe = h.FlushSingle();
        Assert.Single(probe.Payload);
        Assert.Equal(h.OurSeq(Mss), probe.Seq);
        AckFromPeer(h, Mss, window: 0); // still closed: the same byte is probed again, later
        var before = h.Now;
        h.AdvanceToNextDeadline();
        Assert.True(h.Now - before >= TimeSpan.FromMilliseconds(400));
        Assert.Equal(h.OurSeq(Mss), h.FlushSingle().Seq);
        AckFromPeer(h, Mss + 1, window: 65535); // the window opens: data flows again
        Assert.NotEmpty(h.Flush());
        Assert.Equal(TcpState.Established, c.State);
        Assert.True(c.Stats.ZeroWindowProbes >= 2);
    }

    [Fact] // RFC 9293 §3.4: our own sequence numbers crossing 2^32
    public void Sending_across_the_sequence_wrap()
    {
        var (h, c) = Sender(iss: uint.MaxValue - 3000);
        c.Send(Data(6 * Mss));
        var sent = h.Flush();
        Assert.Equal(6, sent.Count);
        Assert.True(sent[^1].Seq < sent[0].Seq); // wrapped
        AckFromPeer(h, 6 * Mss);
        Assert.Equal(0, c.BytesUnacknowledged);
        Assert.True(h.Stack.NextDeadline.IsNever);
    }

    [Fact] // send buffer back-pressure: Send accepts what fits
    public void Send_accepts_only_what_the_buffer_holds()
    {
        var (h, c) = Sender(new TcpConfig { SendBufferSize = 4000 });
        Assert.Equal(4000, c.Send(Data(10_000)));
        Assert.Equal(0, c.SendSpace);
    }
    [Fact] // RFC 1191 §3 (Linux tcp_sync_mss, tcp_simple_retransmit): with timestamps the new MSS leaves their 12 bytes; the
           // whole flight goes again from SND.UNA at that size, SACKed data included (the scoreboard is dropped), cwnd kept
    public void Fragmentation_needed_resends_the_flight_at_the_mss_of_the_path()
    {
        var (h, c) = Sender();
        var data = Data(5 * Mss);
        c.Send(data);
        Assert.Equal(5, h.Flush().Count);
        var sack = new TcpOptions();
        sack.AddSackBlock(new SackBlock(h.OurSeq(4 * Mss), h.OurSeq(5 * Mss)));
        AckFromPeer(h, 0, options: sack);
        h.Flush();
        int cwnd = c.CongestionWindow;

        h.Stack.OnIcmpUnreachable(c.Tuple, 4, new SeqNum(h.OurSeq(Mss)), 1400);
        Assert.Equal(1400 - 20 - 20 - 12, c.SendMss);
        Assert.Equal(1, h.Stack.Stats.PathMtuReductions);
        var again = h.Flush();
        Assert.Equal(h.OurSeq(0), again[0].Seq);
        Assert.All(again, s => Assert.True(s.Payload.Length <= 1348));
        Assert.Equal(data, again.SelectMany(s => s.Payload).ToArray());
        Assert.Equal(cwnd, c.CongestionWindow);
        AckFromPeer(h, 5 * Mss);
        h.FlushNothing();
    }
}
