using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>
/// A connection whose application is gone (<see cref="TcpConnection.Orphan"/>, the stream disposed) against one that is
/// only half-closed (<see cref="TcpConnection.Close"/>): the FIN-WAIT-2 timeout (Linux tcp_fin_timeout) and the RST for
/// unread data (RFC 1122 §4.2.2.13).
/// </summary>
public sealed class TcpOrphanTests
{
    private static void Peer(EngineHarness h, int peerOffset, int ourOffset, TcpFlags flags = TcpFlags.Ack, byte[]? data = null)
    {
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(peerOffset), h.OurSeq(ourOffset), flags, options: h.PeerTimestampOption()), data ?? []);
    }

    /// <summary>Our FIN sent and acknowledged: FIN-WAIT-2.</summary>
    private static TcpConnection CloseToFinWait2(EngineHarness h)
    {
        var c = h.Establish();
        c.Close();
        h.FlushSingle();
        Peer(h, 0, 1);
        Assert.Equal(TcpState.FinWait2, c.State);
        return c;
    }

    // ---------------------------------------------------------------- FIN-WAIT-2

    [Fact] // RFC 9293 §3.10.4 leaves FIN-WAIT-2 unbounded; Linux's tcp_fin_timeout (60 s) ends an orphaned one, silently
    public void Orphaned_fin_wait_2_is_forgotten_after_the_timeout()
    {
        var h = new EngineHarness();
        var c = CloseToFinWait2(h);
        h.Advance(TimeSpan.FromSeconds(5));
        var orphaned = h.Now;
        c.Orphan(h.Now);
        Assert.Equal(TcpState.FinWait2, c.State);

        h.AdvanceToNextDeadline();
        Assert.Equal(60, (h.Now - orphaned).TotalSeconds);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.None, c.Error);
        h.FlushNothing();
        Assert.True(c.HasNoTimers);
        Assert.Equal(0, h.Stack.ConnectionCount);
        Assert.Equal(0, c.Stats.ResetsForUnreadData);
    }

    [Fact] // Linux tcp_rcv_state_process: orphaned in FIN-WAIT-1, the timeout starts when the FIN is acknowledged
    public void Timeout_starts_when_an_orphan_reaches_fin_wait_2_and_the_peer_fin_still_leads_to_time_wait()
    {
        var h = new EngineHarness(new TcpConfig { FinWait2Timeout = TimeSpan.FromSeconds(10) });
        var c = h.Establish();
        c.Orphan(h.Now);
        c.Close();
        h.FlushSingle();
        h.Advance(TimeSpan.FromSeconds(3));
        Peer(h, 0, 1);
        Assert.Equal(TcpState.FinWait2, c.State);
        Assert.Equal(h.Now + TimeSpan.FromSeconds(10), h.Stack.NextDeadline);

        h.Advance(TimeSpan.FromSeconds(9));
        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack);
        Assert.Equal(TcpState.TimeWait, c.State);
        Assert.Equal(h.PeerSeq(1), h.FlushSingle().Ack);
        Assert.Equal(h.Now + TimeSpan.FromSeconds(60), h.Stack.NextDeadline); // 2*MSL now, not the FIN-WAIT-2 limit
    }

    [Fact] // RFC 9293 §3.6: after a mere half-close the application still reads, so FIN-WAIT-2 waits for the peer
    public void Half_closed_fin_wait_2_waits_for_the_peer_however_long()
    {
        var h = new EngineHarness(new TcpConfig { FinWait2Timeout = TimeSpan.FromSeconds(10) });
        var c = CloseToFinWait2(h);
        Assert.True(c.HasNoTimers);
        h.Advance(TimeSpan.FromMinutes(10));
        Peer(h, 0, 1, TcpFlags.Ack | TcpFlags.Psh, new byte[100]);
        Assert.Equal(TcpState.FinWait2, c.State);
        Assert.Equal(h.PeerSeq(100), h.FlushSingle().Ack);
        Assert.Equal(100, c.BytesAvailable);
    }

    // ---------------------------------------------------------------- unread data

    [Fact] // RFC 1122 §4.2.2.13: the application gone with data unread: RST at SND.NXT, CLOSED (Linux tcp_close)
    public void Orphan_with_unread_data_sends_a_reset()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        Peer(h, 0, 0, TcpFlags.Ack | TcpFlags.Psh, new byte[100]);
        h.Flush();
        c.Send(new byte[10]);
        h.Flush();

        c.Orphan(h.Now);
        var rst = h.FlushSingle();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(h.OurSeq(10), rst.Seq);
        Assert.Equal(h.PeerSeq(100), rst.Ack);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(0, c.BytesAvailable);
        Assert.Equal(1, c.Stats.ResetsForUnreadData);
        Assert.True(c.HasNoTimers);
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact] // RFC 1122 §4.2.2.13, Linux tcp_rcv_state_process ("TCPAbortOnData"): data for a gone application resets
    public void Data_arriving_after_the_application_is_gone_gets_a_reset()
    {
        var h = new EngineHarness();
        var c = CloseToFinWait2(h);
        c.Orphan(h.Now);
        h.FlushNothing();

        Peer(h, 0, 1, TcpFlags.Ack | TcpFlags.Psh, new byte[100]);
        var rst = h.FlushSingle();
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, rst.Flags);
        Assert.Equal(h.OurSeq(1), rst.Seq); // after our FIN
        Assert.Equal(h.PeerSeq(0), rst.Ack); // the lost data is not acknowledged
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(1, c.Stats.ResetsForUnreadData);
        Assert.Equal(0, h.Stack.ConnectionCount);
    }

    [Fact] // RFC 9293 §3.10.4: a half-close with unread data is still a graceful close: FIN, and the data stays readable
    public void Half_close_with_unread_data_sends_a_fin()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        Peer(h, 0, 0, TcpFlags.Ack | TcpFlags.Psh, new byte[100]);
        h.Flush();
        c.Close();
        var fin = h.FlushSingle();
        Assert.Equal(TcpFlags.Fin | TcpFlags.Ack, fin.Flags);
        Assert.Equal(TcpState.FinWait1, c.State);
        Assert.Equal(100, c.BytesAvailable);
        Assert.Equal(0, c.Stats.ResetsForUnreadData);
    }

    [Fact] // Linux tcp_close: a connection already over (here TIME-WAIT) tells the peer nothing; unread data is dropped
    public void Orphan_after_the_connection_ended_sends_nothing()
    {
        var h = new EngineHarness();
        var c = CloseToFinWait2(h);
        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack, new byte[100]);
        h.Flush();
        Assert.Equal(TcpState.Closed, c.State); // TIME-WAIT lives on in the stack's table
        Assert.Equal(1, h.Stack.TimeWaitCount);
        Assert.Equal(100, c.BytesAvailable);

        c.Orphan(h.Now);
        h.FlushNothing();
        Assert.Equal(1, h.Stack.TimeWaitCount);
        Assert.Equal(0, c.BytesAvailable);
        Assert.Equal(0, c.Stats.ResetsForUnreadData);
    }
}
