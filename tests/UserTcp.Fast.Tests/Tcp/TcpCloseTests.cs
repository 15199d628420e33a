using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>FIN-WAIT-1/2, CLOSING, TIME-WAIT, CLOSE-WAIT, LAST-ACK, and aborts (RFC 9293 §3.6, §3.10.4–5).</summary>
public sealed class TcpCloseTests
{
    private static void Peer(EngineHarness h, int peerOffset, int ourOffset, TcpFlags flags = TcpFlags.Ack, byte[]? data = null)
    {
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(peerOffset), h.OurSeq(ourOffset), flags, options: h.PeerTimestampOption()), data ?? []);
    }

    /// <summary>Our FIN, the peer's ACK of it, then the peer's FIN: TIME-WAIT, our last ACK already sent.</summary>
    private static (EngineHarness, TcpConnection) ActiveCloseToTimeWait()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        c.Close();
        h.FlushSingle();
        Peer(h, 0, 1);
        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack);
        h.FlushSingle();
        return (h, c);
    }

    [Fact] // RFC 9293 §3.6 case 1: active close through FIN-WAIT-1, FIN-WAIT-2 and TIME-WAIT to CLOSED after 2*MSL
    public void Active_close_ends_in_time_wait_then_closed()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        c.Close();
        Assert.Equal(TcpState.FinWait1, c.State);
        var fin = h.FlushSingle();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(h.OurSeq(0), fin.Seq);

        Peer(h, 0, 1); // ACK of our FIN
        Assert.Equal(TcpState.FinWait2, c.State);
        h.FlushNothing();
        Assert.True(c.HasNoTimers);

        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack);
        Assert.Equal(TcpState.TimeWait, c.State);
        var lastAck = h.FlushSingle();
        Assert.Equal(h.PeerSeq(1), lastAck.Ack);

        var start = h.Now;
        h.AdvanceToNextDeadline();
        Assert.Equal(60, (h.Now - start).TotalSeconds);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.None, c.Error);
        Assert.True(c.HasNoTimers);
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact] // RFC 9293 §3.10.4: the FIN follows the queued data, on the last data segment
    public void Fin_rides_on_the_last_data_segment()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        c.Send(new byte[3000]);
        c.Close();
        var sent = h.Flush();
        Assert.Equal(3, sent.Count);
        Assert.Equal(TcpFlags.Ack, sent[0].Flags & ~TcpFlags.Psh);
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack | TcpFlags.Psh, sent[2].Flags);
        Assert.Equal(3000 - 2 * 1448, sent[2].Payload.Length);
        Assert.Throws<InvalidOperationException>(() => c.Send(new byte[1]));
    }

    [Fact] // RFC 9293 §3.6 case 1, passive side: CLOSE-WAIT, then LAST-ACK, then CLOSED on the ACK of our FIN
    public void Passive_close_through_close_wait_and_last_ack()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        Peer(h, 0, 0, TcpFlags.Fin | TcpFlags.Ack, [1, 2, 3]);
        Assert.Equal(TcpState.CloseWait, c.State);
        Assert.Equal(h.PeerSeq(4), h.FlushSingle().Ack); // data and FIN acknowledged at once
        Assert.Equal(3, c.BytesAvailable);
        var buffer = new byte[10];
        Assert.Equal(3, c.Receive(buffer));
        Assert.True(c.IsReceiveComplete);

        c.Close();
        Assert.Equal(TcpState.LastAck, c.State);
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, h.FlushSingle().Flags);
        Peer(h, 4, 1);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.None, c.Error);
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact] // RFC 9293 §3.6 case 2: simultaneous close passes through CLOSING
    public void Simultaneous_close_passes_through_closing()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        c.Close();
        h.FlushSingle();
        Peer(h, 0, 0, TcpFlags.Fin | TcpFlags.Ack); // the peer's FIN crosses ours: it does not ACK it
        Assert.Equal(TcpState.Closing, c.State);
        Assert.Equal(h.PeerSeq(1), h.FlushSingle().Ack);
        Peer(h, 1, 1);
        Assert.Equal(TcpState.TimeWait, c.State);
    }

    [Fact] // RFC 9293 §3.6: after our FIN the peer may keep sending (half-close); we keep receiving and ACKing
    public void Half_closed_connection_still_receives()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        c.Close();
        h.FlushSingle();
        Peer(h, 0, 1);
        Assert.Equal(TcpState.FinWait2, c.State);
        var data = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        Peer(h, 0, 1, TcpFlags.Ack | TcpFlags.Psh, data);
        Assert.Equal(h.PeerSeq(1000), h.FlushSingle().Ack);
        var received = new byte[1000];
        Assert.Equal(1000, c.Receive(received));
        Assert.Equal(data, received);
    }

    [Fact] // RFC 9293 §3.10.7.4: a FIN beyond a hole is held until the hole fills
    public void Fin_after_a_hole_waits_for_the_missing_data()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        Peer(h, 100, 0, TcpFlags.Fin | TcpFlags.Ack, new byte[50]);
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(h.PeerSeq(0), h.FlushSingle().Ack);
        Peer(h, 0, 0, TcpFlags.Ack, new byte[100]);
        Assert.Equal(TcpState.CloseWait, c.State);
        Assert.Equal(h.PeerSeq(151), h.FlushSingle().Ack);
        Assert.Equal(150, c.BytesAvailable);
    }

    [Fact] // RFC 9293 §3.10.7.4: a FIN retransmitted into TIME-WAIT is ACKed again and restarts 2*MSL
    public void Retransmitted_fin_in_time_wait_is_acknowledged_again()
    {
        var (h, _) = ActiveCloseToTimeWait();
        h.Advance(TimeSpan.FromSeconds(30));
        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack);
        Assert.Equal(h.PeerSeq(1), h.FlushSingle().Ack);
        Assert.Equal(h.Now + TimeSpan.FromSeconds(60), h.Stack.NextDeadline);
    }

    [Fact] // RFC 9293 §3.10.5: abort sends a RST and reports the local abort
    public void Abort_sends_a_reset()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        c.Send(new byte[100]);
        h.Flush();
        c.Abort();
        var rst = h.FlushSingle();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(h.OurSeq(100), rst.Seq);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.Aborted, c.Error);
        Assert.True(c.HasNoTimers);
    }

    [Fact] // RFC 9293 §3.10.4: closing in SYN-SENT just deletes the connection
    public void Close_in_syn_sent_forgets_the_connection()
    {
        var h = new EngineHarness();
        var c = h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 80, h.Now);
        h.FlushSingle();
        c.Close();
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact] // RFC 1337 §3 fix (1): a RST in TIME-WAIT is ignored; 2*MSL still ends it and a retransmitted FIN restarts it
    public void Reset_in_time_wait_does_not_end_it()
    {
        var (h, c) = ActiveCloseToTimeWait();
        Assert.Equal(1, h.Stack.TimeWaitCount);

        h.Advance(TimeSpan.FromSeconds(10));
        h.Deliver(h.Peer(h.PeerSeq(1), 0, TcpFlags.Rst)); // exactly at RCV.NXT: would reset any other state
        Peer(h, 1, 1, TcpFlags.Rst | TcpFlags.Ack);
        h.Deliver(h.Peer(h.PeerSeq(100), 0, TcpFlags.Rst)); // in the window: no challenge ACK either
        Assert.Equal(1, h.Stack.TimeWaitCount);
        h.FlushNothing();

        h.Advance(TimeSpan.FromSeconds(10));
        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack);
        Assert.Equal(h.PeerSeq(1), h.FlushSingle().Ack);
        var restarted = h.Now;
        h.AdvanceToNextDeadline();
        Assert.Equal(60, (h.Now - restarted).TotalSeconds);
        Assert.Equal(TcpError.None, c.Error);
        Assert.Equal(0, h.Stack.TimeWaitCount);
    }

    [Fact] // RFC 9293 §3.10.7.4: a RST in LAST-ACK or CLOSING just closes, without an error
    public void Reset_while_closing_closes_quietly()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        Peer(h, 0, 0, TcpFlags.Fin | TcpFlags.Ack);
        c.Close();
        h.Flush();
        Assert.Equal(TcpState.LastAck, c.State);
        h.Deliver(h.Peer(h.PeerSeq(1), 0, TcpFlags.Rst));
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.None, c.Error);
    }
}
