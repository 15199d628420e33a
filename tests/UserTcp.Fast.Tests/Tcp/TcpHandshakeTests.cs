using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>CLOSED, SYN-SENT, LISTEN and SYN-RECEIVED: opening a connection (RFC 9293 §3.5, §3.10.7.1–3).</summary>
public sealed class TcpHandshakeTests
{
    [Fact] // RFC 9293 §3.10.1, RFC 7323 §2.2/§3.2, RFC 2018 §2: the SYN offers MSS, SACK, timestamps and our shift; its window is unscaled
    public void Active_open_sends_a_syn_with_every_option()
    {
        var h = new EngineHarness();
        var connection = h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 80, h.Now);
        Assert.Equal(TcpState.SynSent, connection.State);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Syn), TcpCheck.Seq(h.Iss), TcpCheck.Ack(0), TcpCheck.Mss(1460), TcpCheck.SackPermitted(),
                              TcpCheck.WindowScale(7), // 4 MiB >> 7 fits 16 bits
                              TcpCheck.TimestampEcho(0), TcpCheck.Window(ushort.MaxValue));
        Assert.InRange(connection.Tuple.LocalPort, 32768, 60999);
    }

    [Fact] // RFC 9293 §3.10.7.3: SYN-ACK acknowledging our SYN → ESTABLISHED, ACK at once with the scaled window
    public void Syn_ack_establishes_and_is_acknowledged()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        Assert.True(c.SackEnabled && c.TimestampsEnabled && c.WindowScalingEnabled);
        Assert.Equal(1448, c.SendMss); // RFC 6691: MSS minus the 12 bytes of timestamps every segment carries
        Assert.Equal(65535, c.PeerWindow); // window of a SYN is never scaled
    }

    [Fact] // RFC 9293 §3.10.7.3: an ACK outside (ISS, SND.NXT] in SYN-SENT gets <SEQ=SEG.ACK><CTL=RST>
    public void Syn_ack_with_a_bad_ack_gets_a_reset_and_the_connection_waits()
    {
        var h = new EngineHarness();
        var c = h.Connection = h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 80, h.Now);
        h.FlushSingle();
        h.Deliver(new TcpHeader(80, c.Tuple.LocalPort, EngineHarness.PeerIss, h.Iss + 50, TcpFlags.Syn | TcpFlags.Ack, 1000));
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Rst), TcpCheck.Seq(h.Iss + 50));
        Assert.Equal(TcpState.SynSent, c.State);
    }

    [Fact] // RFC 9293 §3.10.7.3: RST with an acceptable ACK → "connection refused"
    public void Reset_answering_the_syn_means_connection_refused()
    {
        var h = new EngineHarness();
        var c = h.Connection = h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 80, h.Now);
        h.FlushSingle();
        h.Deliver(new TcpHeader(80, c.Tuple.LocalPort, 0, h.Iss + 1, TcpFlags.Rst | TcpFlags.Ack, 0));
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.ConnectionRefused, c.Error);
        Assert.Equal(0, h.Stack.ConnectionCount);
        h.FlushNothing(); // never answer a RST
    }

    [Fact] // RFC 5961 §3.2 / RFC 9293 §3.10.7.3: a RST without ACK in SYN-SENT is dropped
    public void Reset_without_ack_in_syn_sent_is_ignored()
    {
        var h = new EngineHarness();
        var c = h.Connection = h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 80, h.Now);
        h.FlushSingle();
        h.Deliver(new TcpHeader(80, c.Tuple.LocalPort, 0, 0, TcpFlags.Rst, 0));
        Assert.Equal(TcpState.SynSent, c.State);
    }

    [Fact] // RFC 6298 §2.1, §5.5: SYN retransmitted after 1 s, then 2 s, 4 s...; give up after the configured count
    public void Syn_is_retransmitted_with_backoff_and_then_times_out()
    {
        var h = new EngineHarness(new TcpConfig { MaxSynRetransmissions = 2 });
        var c = h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 80, h.Now);
        var start = h.Now;
        h.FlushSingle();
        h.AdvanceToNextDeadline();
        Assert.Equal(1000, (h.Now - start).TotalMilliseconds);
        Assert.Equal(TcpFlags.Syn, h.FlushSingle().Flags);
        h.AdvanceToNextDeadline();
        Assert.Equal(3000, (h.Now - start).TotalMilliseconds);
        Assert.Equal(TcpFlags.Syn, h.FlushSingle().Flags);
        h.AdvanceToNextDeadline();
        Assert.Equal(7000, (h.Now - start).TotalMilliseconds);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.TimedOut, c.Error);
        Assert.True(c.HasNoTimers);
    }

    [Fact] // RFC 7323 §1.3, RFC 2018 §2, RFC 9293 §3.7.1: a peer that offers no options gets none, and MSS 536 is assumed
    public void Peer_without_options_negotiates_none()
    {
        var h = new EngineHarness();
        var c = h.Connection = h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 80, h.Now);
        h.FlushSingle();
        h.Deliver(h.Peer(EngineHarness.PeerIss, h.Iss + 1, TcpFlags.Syn | TcpFlags.Ack, 8192));
        h.FlushSingle().Check(TcpCheck.TimestampEcho(null), TcpCheck.Window(ushort.MaxValue)); // unscaled 16-bit window, saturated
        Assert.False(c.SackEnabled || c.TimestampsEnabled || c.WindowScalingEnabled);
        Assert.Equal(536, c.SendMss);
    }

    [Fact] // RFC 9293 §3.10.7.2: a SYN to a listener gets a SYN-ACK carrying only the options the SYN offered
    public void Listener_answers_a_syn_with_a_syn_ack_and_accepts_after_the_ack()
    {
        var h = new EngineHarness();
        var listener = h.Stack.Listen(8080);
        var synOptions = new TcpOptions { MaximumSegmentSize = 1400, SackPermitted = true };
        h.Deliver(new TcpHeader(40000, 8080, 7000, 0, TcpFlags.Syn, 29200) { Options = synOptions }, localPort: 8080);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack), TcpCheck.Seq(h.Iss), TcpCheck.Ack(7001), TcpCheck.SackPermitted(),
                              TcpCheck.TimestampEcho(null), TcpCheck.WindowScale(null)); // not offered, not used
        Assert.False(listener.TryAccept(out _));

        h.Deliver(new TcpHeader(40000, 8080, 7001, h.Iss + 1, TcpFlags.Ack, 29200), localPort: 8080);
        Assert.True(listener.TryAccept(out var accepted));
        Assert.Equal(TcpState.Established, accepted.State);
        Assert.Equal(1400, accepted.SendMss);
    }

    [Fact] // RFC 9293 §3.10.7.2: in LISTEN an ACK gets <SEQ=SEG.ACK><CTL=RST>, a RST is ignored
    public void Listener_resets_a_stray_ack_and_ignores_a_reset()
    {
        var h = new EngineHarness();
        h.Stack.Listen(8080);
        h.Deliver(new TcpHeader(40000, 8080, 7000, 4242, TcpFlags.Ack, 100), localPort: 8080);
        var rst = h.FlushSingle();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(4242u, rst.Seq);
        h.Deliver(new TcpHeader(40000, 8080, 7000, 0, TcpFlags.Rst, 0), localPort: 8080);
        h.FlushNothing();
    }

    [Fact] // RFC 9293 §3.10.7.4 (SYN-RECEIVED): a repeated SYN means our SYN-ACK was lost: send it again
    public void Repeated_syn_gets_the_syn_ack_again()
    {
        var h = new EngineHarness();
        h.Stack.Listen(8080);
        var syn = new TcpHeader(40000, 8080, 7000, 0, TcpFlags.Syn, 100);
        h.Deliver(syn, localPort: 8080);
        h.FlushSingle();
        h.Deliver(syn, localPort: 8080);
        var again = h.FlushSingle();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, again.Flags);
        Assert.Equal(h.Iss, again.Seq);
    }

    [Fact] // RFC 9293 §3.10.7.4 (SYN-RECEIVED): an unacceptable ACK gets <SEQ=SEG.ACK><CTL=RST>
    public void Bad_ack_in_syn_received_gets_a_reset()
    {
        var h = new EngineHarness();
        h.Stack.Listen(8080);
        h.Deliver(new TcpHeader(40000, 8080, 7000, 0, TcpFlags.Syn, 100), localPort: 8080);
        h.FlushSingle();
        h.Deliver(new TcpHeader(40000, 8080, 7001, h.Iss + 99, TcpFlags.Ack, 100), localPort: 8080);
        var rst = h.FlushSingle();
        Assert.Equal(TcpFlags.Rst, rst.Flags);
        Assert.Equal(h.Iss + 99, rst.Seq);
    }

    [Fact] // RFC 9293 §3.5 figure 8: simultaneous open: SYN in SYN-SENT → SYN-RECEIVED, SYN-ACK with our ISS
    public void Simultaneous_open_reaches_established()
    {
        var h = new EngineHarness();
        var c = h.Connection = h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 80, h.Now);
        h.FlushSingle();
        h.Deliver(h.Peer(EngineHarness.PeerIss, 0, TcpFlags.Syn, 65535, new TcpOptions { MaximumSegmentSize = 1460 }));
        Assert.Equal(TcpState.SynReceived, c.State);
        var synAck = h.FlushSingle();
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack, synAck.Flags);
        Assert.Equal(h.Iss, synAck.Seq);
        Assert.Equal(EngineHarness.PeerIss + 1, synAck.Ack);
        h.Deliver(h.Peer(EngineHarness.PeerIss, h.Iss + 1, TcpFlags.Syn | TcpFlags.Ack));
        Assert.Equal(TcpState.Established, c.State);
        var ack = h.FlushSingle();
        Assert.Equal(TcpFlags.Ack, ack.Flags);
        Assert.Equal(h.Iss + 1, ack.Seq);
        Assert.Equal(EngineHarness.PeerIss + 1, ack.Ack);
    }

    [Theory] // RFC 9293 §3.10.7.1: no connection: a RST answers anything but a RST
    [InlineData(TcpFlags.Syn, TcpFlags.Rst | TcpFlags.Ack, 0u, 7001u)]
    [InlineData(TcpFlags.Ack, TcpFlags.Rst, 4242u, 0u)]
    [InlineData(TcpFlags.Ack | TcpFlags.Fin, TcpFlags.Rst, 4242u, 0u)]
    public void Segment_to_a_closed_port_gets_a_reset(TcpFlags sent, TcpFlags expected, uint seq, uint ack)
    {
        var h = new EngineHarness();
        h.Deliver(new TcpHeader(40000, 9, 7000, 4242, sent, 100), localPort: 9);
        var rst = h.FlushSingle();
        Assert.Equal(expected, rst.Flags);
        Assert.Equal(seq, rst.Seq);
        if ((expected & TcpFlags.Ack) != 0) Assert.Equal(ack, rst.Ack);
        Assert.Equal(1, h.Stack.Stats.SegmentsForNoConnection);
    }

    [Fact] // RFC 9293 §3.10.7.1: never answer a RST with a RST
    public void Reset_to_a_closed_port_is_not_answered()
    {
        var h = new EngineHarness();
        h.Deliver(new TcpHeader(40000, 9, 7000, 4242, TcpFlags.Rst | TcpFlags.Ack, 0), localPort: 9);
        h.FlushNothing();
    }
}
