using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>ESTABLISHED, receiving: ACK generation, reassembly, SACK blocks, window, and the RFC 5961 checks.</summary>
public sealed class TcpReceiveTests
{
    private const int Mss = 1448;
    private static readonly byte[] Full = Enumerable.Range(0, Mss).Select(i => (byte)i).ToArray();

    /// <summary>An established connection whose quick-ack phase is over (so the cumulative rules show).</summary>
    private static (EngineHarness, TcpConnection) Established(TcpConfig? config = null)
    {
        var h = new EngineHarness(config ?? new TcpConfig { QuickAckSegments = 0 });
        return (h, h.Establish());
    }

    private static void DeliverData(EngineHarness h, int offset, byte[]? data = null, TcpFlags flags = TcpFlags.Ack)
    {
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(offset), h.OurSeq(0), flags, options: h.PeerTimestampOption()), data ?? Full);
    }

    [Fact] // RFC 2525 §2.13: a long batch is not ACKed by one stretch ACK at its end; the ACK leaves mid-batch
    public void A_long_batch_asks_for_its_ack_every_max_segments()
    {
        var (h, c) = Established(new TcpConfig { QuickAckSegments = 0, MaxSegmentsPerAck = 4 });
        var flushNow = new List<bool>();
        long acksBefore = c.Stats.PureAcksSent; // the handshake's
        for (int i = 0; i < 8; i++)
        {
            h.PeerTimestamp++;
            flushNow.Add(h.Deliver(h.Peer(h.PeerSeq(i * Mss), h.OurSeq(0), options: h.PeerTimestampOption()), Full));
            if (flushNow[^1]) Assert.Equal(h.PeerSeq((i + 1) * Mss), h.FlushSingle().Ack); // the interface flushes at once
        }
        Assert.Equal([false, false, false, true, false, false, false, true], flushNow);
        Assert.Equal(2, c.Stats.PureAcksSent - acksBefore);

        // A GSO super-frame is one segment as it arrives, however many MSS it carries: four of them make the count.
        var superFrame = new byte[4 * Mss];
        flushNow.Clear();
        for (int i = 0; i < 4; i++)
        {
            h.PeerTimestamp++;
            flushNow.Add(h.Deliver(h.Peer(h.PeerSeq((8 + 4 * i) * Mss), h.OurSeq(0), options: h.PeerTimestampOption()), superFrame));
        }
        Assert.Equal([false, false, false, true], flushNow);
    }

    [Fact] // RFC 9293 §3.8.6.3, RFC 5681 §4.2: one full segment alone waits for the delayed-ACK timer (40 ms)
    public void Single_segment_is_acknowledged_by_the_delayed_ack_timer()
    {
        var (h, _) = Established();
        DeliverData(h, 0);
        h.FlushNothing();
        var start = h.Now;
        h.AdvanceToNextDeadline();
        Assert.Equal(40, (h.Now - start).TotalMilliseconds);
        var ack = h.FlushSingle();
        Assert.Equal(h.PeerSeq(Mss), ack.Ack);
    }

    [Fact] // RFC 5681 §4.2: an ACK at least every second full-sized segment
    public void Second_full_segment_is_acknowledged_at_once()
    {
        var (h, _) = Established();
        DeliverData(h, 0);
        DeliverData(h, Mss);
        Assert.Equal(h.PeerSeq(2 * Mss), h.FlushSingle().Ack);
        Assert.True(h.Stack.NextDeadline.IsNever || h.Stack.NextDeadline > h.Now + TimeSpan.FromSeconds(1)); // delayed ACK disarmed
    }

    [Fact] // cumulative policy: one ACK per connection per receive batch, however many segments it held
    public void A_batch_of_segments_earns_one_cumulative_ack()
    {
        var (h, c) = Established();
        for (int i = 0; i < 32; i++) DeliverData(h, i * Mss);
        var ack = h.FlushSingle();
        Assert.Equal(h.PeerSeq(32 * Mss), ack.Ack);
        Assert.Equal(32 * Mss, c.BytesAvailable);
        Assert.Equal(2, c.Stats.PureAcksSent); // the handshake ACK and this one
        Assert.Equal(32, h.Stack.AckLatency.Count);
    }

    [Fact] // the naive policy ACKs every segment on its own, at once: OnSegment asks for a flush each time
    public void Naive_policy_acknowledges_each_segment()
    {
        var (h, _) = Established(new TcpConfig { AckPolicy = AckPolicy.Naive, QuickAckSegments = 0 });
        for (int i = 0; i < 4; i++)
        {
            h.PeerTimestamp++;
            Assert.True(h.Deliver(h.Peer(h.PeerSeq(i * Mss), h.OurSeq(0), options: h.PeerTimestampOption()), Full));
            Assert.Equal(h.PeerSeq((i + 1) * Mss), h.FlushSingle().Ack);
        }
    }

    [Fact] // quick-ack: the first data segments of a connection are ACKed at once, to keep the peer's slow start going
    public void Quick_ack_acknowledges_the_first_segments_at_once()
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 2 });
        h.Establish();
        DeliverData(h, 0);
        Assert.Equal(h.PeerSeq(Mss), h.FlushSingle().Ack);
        DeliverData(h, Mss);
        Assert.Equal(h.PeerSeq(2 * Mss), h.FlushSingle().Ack);
        DeliverData(h, 2 * Mss);
        h.FlushNothing(); // quick-ack over: the cumulative rules apply
    }

    [Fact] // RFC 5681 §4.2, RFC 2018 §4: out-of-order data gets an immediate duplicate ACK carrying its SACK block
    public void Out_of_order_segment_gets_an_immediate_duplicate_ack_with_sack()
    {
        var (h, c) = Established();
        DeliverData(h, Mss);
        h.FlushSingle().Check(TcpCheck.Ack(h.PeerSeq(0)), TcpCheck.SackBlocks(new SackBlock(h.PeerSeq(Mss), h.PeerSeq(2 * Mss))));
        Assert.Equal(0, c.BytesAvailable);

        DeliverData(h, 0); // fills the hole: immediate ACK for both, no SACK left
        h.FlushSingle().Check(TcpCheck.Ack(h.PeerSeq(2 * Mss)), TcpCheck.SackBlocks());
        var data = new byte[2 * Mss];
        Assert.Equal(2 * Mss, c.Receive(data));
        Assert.Equal(Full, data[..Mss]);
        Assert.Equal(Full, data[Mss..]);
    }

    [Fact] // RFC 2018 §4: the first block reports the most recent segment; three blocks fit beside timestamps
    public void Sack_blocks_list_the_most_recent_range_first()
    {
        var (h, _) = Established();
        DeliverData(h, 2 * Mss);
        DeliverData(h, 4 * Mss);
        DeliverData(h, 6 * Mss);
        DeliverData(h, 8 * Mss);
        var acks = h.Flush();
        Assert.Equal(4, acks.Count); // a duplicate ACK per out-of-order segment (RFC 5681 §4.2); the last lists them all
        acks[^1].Check(TcpCheck.SackBlocks(
            new SackBlock(h.PeerSeq(8 * Mss), h.PeerSeq(9 * Mss)), new SackBlock(h.PeerSeq(6 * Mss), h.PeerSeq(7 * Mss)),
            new SackBlock(h.PeerSeq(4 * Mss), h.PeerSeq(5 * Mss))));
    }

    [Fact] // RFC 9293 §3.10.7.4: a segment entirely below RCV.NXT is answered with an ACK and dropped
    public void Duplicate_segment_is_acknowledged_at_once()
    {
        var (h, c) = Established();
        DeliverData(h, 0);
        DeliverData(h, Mss);
        h.Flush();
        DeliverData(h, 0);
        Assert.Equal(h.PeerSeq(2 * Mss), h.FlushSingle().Ack);
        Assert.Equal(1, c.Stats.DuplicateSegments);
        Assert.Equal(2 * Mss, c.BytesAvailable);
    }

    [Fact] // RFC 7323 §2.2-2.3: the scale is chosen for the largest buffer (4 MiB: 7); the window is the free receive space shifted by it
    public void Window_is_advertised_scaled()
    {
        var (h, _) = Established();
        DeliverData(h, 0);
        DeliverData(h, Mss);
        var ack = h.FlushSingle();
        Assert.Equal((h.Config.InitialReceiveBufferSize - 2 * Mss) >> 7, ack.Window); // the right edge stays put while the data is unread
    }

    [Fact] // RFC 9293 §3.8.6.2.2: a full buffer advertises zero; reading reopens it with an immediate window update
    public void Reading_a_full_buffer_sends_a_window_update_at_once()
    {
        var (h, c) = Established(new TcpConfig { QuickAckSegments = 0, ReceiveBufferSize = 4 * Mss, WindowScaling = false });
        for (int i = 0; i < 4; i++) DeliverData(h, i * Mss);
        var full = h.FlushSingle();
        Assert.Equal(0, full.Window);
        // Beyond the window: dropped, answered with an ACK (RFC 9293 §3.10.7.4).
        DeliverData(h, 4 * Mss);
        Assert.Equal(0, h.FlushSingle().Window);
        Assert.Equal(4 * Mss, c.BytesAvailable);
        Assert.Equal(2, c.Stats.ZeroWindowsAdvertised);

        var sink = new byte[4 * Mss];
        Assert.Equal(4 * Mss, c.Receive(sink));
        var update = h.FlushSingle();
        Assert.Equal(4 * Mss, update.Window);
        Assert.Equal(h.PeerSeq(4 * Mss), update.Ack);
    }

    [Fact] // RFC 7323 §5.3 R1: PAWS drops a segment whose timestamp is older than TS.Recent, and ACKs
    public void Old_timestamp_is_rejected_by_paws()
    {
        var (h, c) = Established();
        DeliverData(h, 0);
        h.Flush();
        h.PeerTimestamp -= 100;
        h.Deliver(h.Peer(h.PeerSeq(Mss), h.OurSeq(0), options: h.PeerTimestampOption()), Full);
        Assert.Equal(h.PeerSeq(Mss), h.FlushSingle().Ack);
        Assert.Equal(Mss, c.BytesAvailable);
        Assert.Equal(1, c.Stats.PawsRejected);
    }

    [Fact] // RFC 7323 §4.3: TS.Recent is taken from the segment at Last.ACK.sent: the earliest unacknowledged one
    public void Echoed_timestamp_is_that_of_the_earliest_unacknowledged_segment()
    {
        var (h, _) = Established();
        h.PeerTimestamp = 123456;
        DeliverData(h, 0);   // TSval 123457, at Last.ACK.sent
        DeliverData(h, Mss); // TSval 123458, beyond it
        h.FlushSingle().Check(TcpCheck.TimestampEcho(123457));
        DeliverData(h, 2 * Mss); // now at Last.ACK.sent
        h.AdvanceToNextDeadline();
        h.FlushSingle().Check(TcpCheck.TimestampEcho(123459));
    }

    [Fact] // RFC 5961 §3.2: RST exactly at RCV.NXT resets the connection
    public void Reset_at_rcv_nxt_resets()
    {
        var (h, c) = Established();
        h.Deliver(h.Peer(h.PeerSeq(0), 0, TcpFlags.Rst));
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.ConnectionReset, c.Error);
        h.FlushNothing();
    }

    [Fact] // RFC 5961 §3.2: an in-window RST not at RCV.NXT earns a challenge ACK and changes nothing
    public void Reset_inside_the_window_gets_a_challenge_ack()
    {
        var (h, c) = Established();
        h.Deliver(h.Peer(h.PeerSeq(5000), 0, TcpFlags.Rst));
        Assert.Equal(TcpState.Established, c.State);
        var challenge = h.FlushSingle();
        Assert.Equal(TcpFlags.Ack, challenge.Flags);
        Assert.Equal(h.PeerSeq(0), challenge.Ack);
        Assert.Equal(1, c.Stats.ChallengeAcksSent);
    }

    [Fact] // RFC 9293 §3.10.7.4: a RST outside the window is silently dropped
    public void Reset_outside_the_window_is_ignored()
    {
        var (h, c) = Established();
        h.Deliver(h.Peer(h.PeerSeq(-100000), 0, TcpFlags.Rst));
        Assert.Equal(TcpState.Established, c.State);
        h.FlushNothing();
    }

    [Fact] // RFC 5961 §4.2: a SYN on an established connection earns a challenge ACK
    public void Syn_on_an_established_connection_gets_a_challenge_ack()
    {
        var (h, c) = Established();
        h.Deliver(h.Peer(h.PeerSeq(100), 0, TcpFlags.Syn));
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(h.PeerSeq(0), h.FlushSingle().Ack);
    }

    [Fact] // RFC 5961 §5.2: an ACK for data never sent is answered with an ACK and the segment dropped
    public void Ack_of_unsent_data_is_dropped_with_a_challenge_ack()
    {
        var (h, c) = Established();
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(100000), options: h.PeerTimestampOption()), Full);
        Assert.Equal(0, c.BytesAvailable);
        Assert.Equal(h.PeerSeq(0), h.FlushSingle().Ack);
    }

    [Fact] // RFC 5961 §7: challenge ACKs are rate-limited
    public void Challenge_acks_are_rate_limited()
    {
        var (h, c) = Established(new TcpConfig { QuickAckSegments = 0, ChallengeAcksPerSecond = 3 });
        for (int i = 0; i < 10; i++)
        {
            h.Deliver(h.Peer(h.PeerSeq(5000 + i), 0, TcpFlags.Rst));
            h.Flush();
        }
        Assert.Equal(3, c.Stats.ChallengeAcksSent);
    }

    [Fact] // RFC 9293 §3.4: sequence arithmetic modulo 2^32: data crossing the wrap is reassembled in order
    public void Data_crossing_the_sequence_wrap_is_reassembled()
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 0 });
        var c = h.Establish(peerIss: uint.MaxValue - 2000);
        DeliverData(h, 2 * Mss); // crosses 2^32, out of order
        DeliverData(h, 0);
        DeliverData(h, Mss);
        Assert.Equal(h.PeerSeq(3 * Mss), h.Flush()[^1].Ack);
        Assert.True(h.PeerSeq(3 * Mss) < h.PeerSeq(0)); // it did wrap
        Assert.Equal(3 * Mss, c.BytesAvailable);
    }
}
