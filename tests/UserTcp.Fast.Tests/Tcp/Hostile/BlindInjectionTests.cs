using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp.Hostile;

/// <summary>
/// An off-path attacker who knows the four-tuple but not the sequence numbers (RFC 5961 §1.2): RSTs, SYNs and data with
/// guessed numbers spread over the whole space, against an ESTABLISHED connection. None may reset it or put a byte in
/// front of the application unless RFC 5961 itself lets the guess through; the answers it provokes are rate-limited (§7).
/// </summary>
public sealed class BlindInjectionTests
{
    private const int Guesses = 65_536;
    private const uint Stride = 65_536;   // Guesses * Stride = 2^32: every part of the space is tried once
    private const uint Offset = 0x1234_5;  // where the attacker starts: anything but RCV.NXT itself

    private static (EngineHarness, TcpConnection) Established(int challengeAcksPerSecond = 100)
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 0, ChallengeAcksPerSecond = challengeAcksPerSecond });
        return (h, h.Establish());
    }

    private static uint Guess(int i) => unchecked((uint)i * Stride + Offset);

    [Fact] // RFC 5961 §3.2: of 65,536 RSTs spread over 2^32, none resets; those inside the window earn a challenge ACK
    public void Blind_resets_spread_over_the_sequence_space_never_reset()
    {
        var (h, c) = Established();
        int window = c.ReceiveSpace; // offered whole at the handshake (128 KiB, exact at scale 7)
        uint rcvNxt = h.PeerSeq(0);
        int inWindow = 0, answered = 0;
        for (int i = 0; i < Guesses; i++)
        {
            uint seq = Guess(i);
            if (unchecked(seq - rcvNxt) < (uint)window) inWindow++;
            h.Deliver(h.Peer(seq, 0, TcpFlags.Rst));
            answered += h.Flush().Count;
        }
        Assert.Equal(TcpState.Established, c.State);
        Assert.True(inWindow > 0, "no guess fell in the window: the test would prove nothing");
        Assert.Equal(inWindow, answered);                 // a challenge ACK each, nothing for the others
        Assert.Equal(inWindow, c.Stats.ChallengeAcksSent);
        Assert.Equal(0, c.BytesAvailable);
    }

    [Fact] // RFC 5961 §3.2, §7: a RST flood inside the window (the attacker knows it roughly) is answered at the limit's rate
    public void In_window_resets_are_challenged_at_most_at_the_rate_limit()
    {
        var (h, c) = Established(challengeAcksPerSecond: 10);
        int answered = 0;
        for (int second = 0; second < 3; second++)
        {
            for (int i = 0; i < 1000; i++)
            {
                h.Deliver(h.Peer(h.PeerSeq(1 + i), 0, TcpFlags.Rst)); // in the window, never RCV.NXT itself
                answered += h.Flush().Count;
            }
            h.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(30, answered);
        Assert.Equal(30, c.Stats.ChallengeAcksSent);
    }

    [Fact] // RFC 5961 §4.2: a SYN in a synchronized state, whatever its sequence number, earns a (rate-limited) challenge ACK
    public void Blind_syns_spread_over_the_sequence_space_only_earn_challenge_acks()
    {
        var (h, c) = Established(challengeAcksPerSecond: 50);
        int answered = 0;
        for (int i = 0; i < Guesses; i++)
        {
            h.Deliver(h.Peer(Guess(i), 0, TcpFlags.Syn));
            foreach (var sent in h.Flush())
            {
                Assert.Equal(TcpFlags.Ack, sent.Flags);
                Assert.Equal(h.PeerSeq(0), sent.Ack);
                answered++;
            }
            if (i % 1024 == 1023) h.Advance(TimeSpan.FromMilliseconds(100));
        }
        Assert.Equal(TcpState.Established, c.State);
        // 64 rounds of 100 ms: at most 8 seconds begun, 50 challenge ACKs in each.
        Assert.InRange(answered, 50, 8 * 50);
        Assert.Equal(answered, c.Stats.ChallengeAcksSent);
    }

    [Theory] // RFC 5961 §4.2 in every synchronized state a connection lives in
    [InlineData(true)]  // CLOSE-WAIT: the peer's FIN came
    [InlineData(false)] // FIN-WAIT-2: ours was acknowledged
    public void A_syn_in_a_closing_state_earns_a_challenge_ack(bool closeWait)
    {
        var state = closeWait ? TcpState.CloseWait : TcpState.FinWait2;
        var (h, c) = Established();
        if (state == TcpState.CloseWait)
        {
            h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), TcpFlags.Fin | TcpFlags.Ack, options: h.PeerTimestampOption()));
        }
        else
        {
            c.Close();
            h.Flush();
            h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(1), options: h.PeerTimestampOption()));
        }
        h.Flush();
        Assert.Equal(state, c.State);
        uint rcvNxt = state == TcpState.CloseWait ? h.PeerSeq(1) : h.PeerSeq(0);
        h.Deliver(h.Peer(h.PeerSeq(5000), 0, TcpFlags.Syn));
        Assert.Equal(rcvNxt, h.FlushSingle().Ack);
        h.Deliver(h.Peer(h.PeerSeq(-100_000), 0, TcpFlags.Syn)); // outside the window too (Linux tcp_validate_incoming: syn_challenge)
        Assert.Equal(rcvNxt, h.FlushSingle().Ack);
        Assert.Equal(state, c.State);
        Assert.Equal(2, c.Stats.ChallengeAcksSent);
    }

    [Fact] // RFC 5961 §5.2: data at the right sequence number but with a guessed ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] is dropped
    public void Blind_data_with_guessed_acks_never_reaches_the_application()
    {
        var (h, c) = Established(challengeAcksPerSecond: 1000);
        long maxWindow = c.PeerWindow; // 65535 << 7 from the first ACK below; the SYN-ACK's is unscaled
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), options: h.PeerTimestampOption()));
        maxWindow = Math.Max(maxWindow, c.PeerWindow);
        uint sndUna = h.OurSeq(0);
        int acceptable = 0, tried = 0, answered = 0;
        var payload = new byte[100];
        for (int i = 0; i < Guesses; i++)
        {
            uint ack = Guess(i);
            // The guesses RFC 5961 cannot tell from the peer's own: 1 in 2^32 / (MAX.SND.WND + 1), here about 1 in 512.
            if (unchecked(sndUna - ack) <= (ulong)maxWindow) { acceptable++; continue; }
            h.PeerTimestamp++;
            h.Deliver(h.Peer(h.PeerSeq(0), ack, options: h.PeerTimestampOption()), payload);
            answered += h.Flush().Count;
            tried++;
            if (i % 1000 == 999) h.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(0, c.BytesAvailable);
        Assert.Equal(0, c.Stats.BytesReceived);
        Assert.Equal(TcpState.Established, c.State);
        Assert.True(tried > 60_000 && acceptable > 0, $"{tried} tried, {acceptable} acceptable");
        Assert.Equal(answered, c.Stats.ChallengeAcksSent);
        Assert.InRange(answered, 1, 66 * 1000);
        // The peer's real data still goes in after all that.
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), options: h.PeerTimestampOption()), new byte[] { 42 });
        Assert.Equal(1, c.BytesAvailable);
    }

    [Fact] // RFC 7323 §5.3 R3 with RFC 5961 §5: a segment whose ACK is unacceptable does not move TS.Recent (Linux updates
           // it in tcp_ack, after the ACK check): otherwise a forged far-future TSval would make PAWS drop the peer's own
    public void Forged_segment_with_a_bad_ack_does_not_poison_ts_recent()
    {
        var (h, c) = Established();
        uint honest = h.PeerTimestamp;
        // At RCV.NXT (= Last.ACK.sent), a TSval half the space ahead, an ACK of data never sent.
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(1_000_000), options: new TcpOptions { Timestamps = new TcpTimestamps(unchecked(honest + 0x7FFF_0000), 0) }),
                  new byte[10]);
        h.Flush();
        Assert.Equal(0, c.BytesAvailable);
        // The peer's next segment carries its own clock, a little later than before.
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), options: new TcpOptions { Timestamps = new TcpTimestamps(honest + 5, 0) }), new byte[10]);
        Assert.Equal(0, c.Stats.PawsRejected);
        Assert.Equal(10, c.BytesAvailable);
    }
}
