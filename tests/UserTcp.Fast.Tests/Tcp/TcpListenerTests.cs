using UserTcp.Fast.Buffers;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;
using UserTcp.Testbed.Harness;
using Xunit.Abstractions;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>
/// The passive side (RFC 9293 §3.10.7.2, Linux tcp_conn_request / tcp_check_req): the SYN queue of half-open requests,
/// the accept queue, SYN-ACK retransmission, and SYN cookies (RFC 4987 §3.6) once the SYN queue is full. Literal
/// segments on a virtual clock.
/// </summary>
public sealed class TcpListenerTests(ITestOutputHelper output)
{
    private const ushort Port = 8080;
    private const uint PeerIsn = 7000;
    private const uint PeerTsval = 40_000;

    private static TcpHeader Syn(ushort from, TcpOptions options = default, uint isn = PeerIsn) =>
        new(from, Port, isn, 0, TcpFlags.Syn, 29200) { Options = options };

    private static TcpHeader Ack(ushort from, uint ack, TcpOptions options = default, uint isn = PeerIsn, ushort window = 1000, TcpFlags flags = TcpFlags.Ack) =>
        new(from, Port, isn + 1, ack, flags, window) { Options = options };

    private static TcpOptions AllOptions(uint tsval = PeerTsval, uint echo = 0) => new()
    {
        MaximumSegmentSize = 1400, WindowScale = 9, SackPermitted = true, Timestamps = new TcpTimestamps(tsval, echo),
    };

    public static TheoryData<string> OptionSets => new() { "none", "mss", "wscale", "sack", "ts", "all" };

    private static TcpOptions Offer(string set) => set switch
    {
        "none" => default,
        "mss" => new TcpOptions { MaximumSegmentSize = 1400 },
        "wscale" => new TcpOptions { WindowScale = 9 },
        "sack" => new TcpOptions { SackPermitted = true },
        "ts" => new TcpOptions { Timestamps = new TcpTimestamps(PeerTsval, 0) },
        _ => AllOptions(),
    };

    [Theory] // RFC 7323 §1.3, RFC 2018 §2: the SYN-ACK carries our MSS and only the options the SYN offered; the connection uses them
    [MemberData(nameof(OptionSets))]
    public void Passive_open_negotiates_each_option_the_syn_offers(string set)
    {
        var h = new EngineHarness();
        var listener = h.Stack.Listen(Port);
        var offer = Offer(set);
        h.Deliver(Syn(40000, offer), localPort: Port);
        Assert.Equal(1, h.Stack.SynRequestCount);
        Assert.Equal(0, h.Stack.ConnectionCount); // half-open: a request, not a connection
        var synAck = h.FlushSingle();
        byte? ourShift = TcpConnection.ReceiveWindowShift(h.Config);
        synAck.Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack), TcpCheck.Seq(h.Iss), TcpCheck.Ack(PeerIsn + 1), TcpCheck.Mss(1460),
                     TcpCheck.WindowScale(offer.WindowScale.HasValue ? ourShift : null), TcpCheck.SackPermitted(offer.SackPermitted),
                     TcpCheck.TimestampEcho(offer.Timestamps.HasValue ? PeerTsval : null), TcpCheck.Window(65535));

        var echo = synAck.Options.Timestamps is { } ours ? new TcpOptions { Timestamps = new TcpTimestamps(PeerTsval + 1, ours.Value) } : default;
        h.Deliver(Ack(40000, h.Iss + 1, echo), localPort: Port);
        Assert.True(listener.TryAccept(out var c));
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(offer.WindowScale.HasValue, c.WindowScalingEnabled);
        Assert.Equal(offer.SackPermitted, c.SackEnabled);
        Assert.Equal(offer.Timestamps.HasValue, c.TimestampsEnabled);
        Assert.Equal((offer.MaximumSegmentSize ?? 536) - (offer.Timestamps.HasValue ? 12 : 0), c.SendMss);
        Assert.Equal(1000L << (offer.WindowScale.HasValue ? 9 : 0), c.PeerWindow);
        Assert.Equal(0, h.Stack.SynRequestCount);
        AssertDataFlowsBothWays(h, c, 40000, echo);
    }

    [Fact] // Linux reqsk_timer_handler: SYN-ACK again after 1, 2, 4 s ...; after tcp_synack_retries the request is forgotten quietly
    public void Syn_ack_is_retransmitted_with_backoff_then_the_request_expires()
    {
        var h = new EngineHarness(new TcpConfig { MaxSynAckRetransmissions = 2 });
        h.Stack.Listen(Port);
        h.Deliver(Syn(40000), localPort: Port);
        h.FlushSingle();
        var start = h.Now;
        h.AdvanceToNextDeadline();
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack), TcpCheck.Seq(h.Iss), TcpCheck.Ack(PeerIsn + 1));
        Assert.Equal(TimeSpan.FromSeconds(1), h.Now - start);
        h.AdvanceToNextDeadline();
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack));
        Assert.Equal(TimeSpan.FromSeconds(3), h.Now - start);
        h.AdvanceToNextDeadline();
        h.FlushNothing();
        Assert.Equal(TimeSpan.FromSeconds(7), h.Now - start);
        Assert.Equal(0, h.Stack.SynRequestCount);
        Assert.True(h.Stack.NextDeadline.IsNever);
        Assert.Equal(2, h.Stack.Stats.SynAckRetransmissions);
        Assert.Equal(1, h.Stack.Stats.SynRequestsExpired);
        h.Deliver(Ack(40000, h.Iss + 1), localPort: Port); // too late: an ACK to a listener
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Rst), TcpCheck.Seq(h.Iss + 1));
    }

    [Fact] // RFC 9293 §3.10.7.4 second: a RST in SYN-RECEIVED returns a passive open to LISTEN, without a segment
    public void Reset_in_syn_received_forgets_the_request()
    {
        var h = new EngineHarness();
        var listener = h.Stack.Listen(Port);
        h.Deliver(Syn(40000), localPort: Port);
        h.FlushSingle();
        h.Deliver(new TcpHeader(40000, Port, PeerIsn + 1, 0, TcpFlags.Rst, 0), localPort: Port);
        h.FlushNothing();
        Assert.Equal(0, h.Stack.SynRequestCount);
        Assert.Equal(0, listener.SynQueueLength);
        Assert.True(h.Stack.NextDeadline.IsNever);
        h.Deliver(Syn(40000), localPort: Port); // the listener still listens
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack));
    }

    [Fact] // Linux tcp_conn_request: with the accept queue full a SYN is dropped and counted (the peer retransmits)
    public void Full_accept_queue_drops_syns()
    {
        var h = new EngineHarness();
        var listener = h.Stack.Listen(Port, backlog: 1);
        h.Deliver(Syn(40000), localPort: Port);
        h.FlushSingle();
        h.Deliver(Ack(40000, h.Iss + 1), localPort: Port);
        h.Deliver(Syn(40001), localPort: Port);
        h.FlushNothing();
        Assert.Equal(1, listener.SynsDropped);
        Assert.Equal(1, h.Stack.Stats.SynsDroppedByBacklog);
        Assert.True(listener.TryAccept(out _));
        h.Deliver(Syn(40001), localPort: Port); // room again
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack));
    }

    [Fact] // Linux tcp_check_req listen_overflow (tcp_abort_on_overflow off): the ACK is dropped, the request kept; a later ACK completes it
    public void Full_accept_queue_drops_the_final_ack_until_there_is_room()
    {
        var h = new EngineHarness();
        var listener = h.Stack.Listen(Port, backlog: 1);
        h.Deliver(Syn(40000), localPort: Port);
        h.Deliver(Syn(40001, isn: 9000), localPort: Port);
        Assert.Equal(2, h.Flush().Count);
        h.Deliver(Ack(40000, h.Iss + 1), localPort: Port);
        h.Deliver(Ack(40001, h.Iss + 1, isn: 9000), localPort: Port);
        h.FlushNothing();
        Assert.Equal(1, h.Stack.Stats.ListenOverflows);
        Assert.Equal(1, h.Stack.SynRequestCount);
        Assert.Equal(1, h.Stack.ConnectionCount);

        h.AdvanceToNextDeadline(); // the kept request still retransmits its SYN-ACK, which the peer answers again
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack), TcpCheck.Ack(9001));
        Assert.True(listener.TryAccept(out var first));
        Assert.Equal(40000, first.Tuple.RemotePort);
        h.Deliver(Ack(40001, h.Iss + 1, isn: 9000), localPort: Port);
        Assert.True(listener.TryAccept(out var second));
        Assert.Equal(TcpState.Established, second.State);
        Assert.Equal(0, h.Stack.SynRequestCount);
    }

    [Fact] // the listener stops: half-open requests are forgotten with their timers; their ACKs then find no listener
    public void Closing_the_listener_forgets_half_open_requests()
    {
        var h = new EngineHarness();
        var listener = h.Stack.Listen(Port);
        h.Deliver(Syn(40000), localPort: Port);
        h.Deliver(Syn(40001), localPort: Port);
        Assert.Equal(2, h.Flush().Count);
        listener.Close();
        Assert.Equal(0, h.Stack.SynRequestCount);
        Assert.True(h.Stack.NextDeadline.IsNever);
        h.Deliver(Ack(40000, h.Iss + 1), localPort: Port);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Rst), TcpCheck.Seq(h.Iss + 1));
        Assert.Equal(1, h.Stack.Stats.SegmentsForNoConnection);
    }

    [Fact] // tcp_syncookies = 0 semantics: with the SYN queue full and cookies off, a SYN is dropped
    public void Full_syn_queue_without_cookies_drops_syns()
    {
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = 1, SynCookies = false });
        var listener = h.Stack.Listen(Port);
        h.Deliver(Syn(40000), localPort: Port);
        h.Deliver(Syn(40001), localPort: Port);
        Assert.Single(h.Flush());
        Assert.Equal(1, listener.SynsDropped);
        Assert.Equal(0, h.Stack.Stats.SynCookiesSent);
    }

    [Fact] // RFC 4987 §3.6, Linux tcp_conn_request want_cookie: past the SYN queue a SYN costs nothing but its SYN-ACK
    public void Full_syn_queue_answers_with_a_cookie()
    {
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = 1 });
        var listener = h.Stack.Listen(Port);
        h.Deliver(Syn(40000), localPort: Port);
        h.Deliver(Syn(40001, AllOptions()), localPort: Port);
        var sent = h.Flush();
        Assert.Equal(2, sent.Count);
        var cookie = Assert.Single(sent, s => s.Seq != h.Iss);
        cookie.Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack), TcpCheck.Ack(PeerIsn + 1), TcpCheck.Mss(1460),
                     TcpCheck.WindowScale(TcpConnection.ReceiveWindowShift(h.Config)), TcpCheck.SackPermitted(), TcpCheck.TimestampEcho(PeerTsval));
        Assert.Equal(1, h.Stack.SynRequestCount);
        Assert.Equal(1, listener.SynQueueLength);
        Assert.Equal(1, h.Stack.Stats.SynCookiesSent);
        Assert.True(h.Stack.NextDeadline > h.Now + TimeSpan.FromMilliseconds(999)); // only the request's timer: a cookie keeps none
    }

    [Fact] // Linux cookie_v4_check: the ACK of a cookie opens the connection ESTABLISHED with window scale, SACK and timestamps
    public void Cookie_ack_opens_the_connection_with_its_options_and_data_flows()
    {
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = 1 });
        var listener = h.Stack.Listen(Port);
        var cookie = FillQueueThenCookie(h, 40001, AllOptions());
        h.Advance(TimeSpan.FromMilliseconds(30));
        uint ourTsval = cookie.Options.Timestamps!.Value.Value;
        var echo = new TcpOptions { Timestamps = new TcpTimestamps(PeerTsval + 1, ourTsval) };
        h.Deliver(Ack(40001, cookie.Seq + 1, echo), localPort: Port);
        h.FlushNothing();
        Assert.Equal(1, h.Stack.Stats.SynCookiesValidated);
        Assert.True(listener.TryAccept(out var c));
        Assert.Equal(TcpState.Established, c.State);
        Assert.True(c.WindowScalingEnabled);
        Assert.True(c.SackEnabled);
        Assert.True(c.TimestampsEnabled);
        Assert.Equal(1300 - 12, c.SendMss); // 1400 offered, kept as the cookie's table entry below it (Linux msstab)
        Assert.Equal(1000L << 9, c.PeerWindow);
        Assert.Equal(1, h.Stack.SynRequestCount); // the queued request is still there; the cookie connection is not one

        // SACK intact: a segment beyond a hole is reported in a SACK block.
        h.Deliver(new TcpHeader(40001, Port, PeerIsn + 1 + 200, cookie.Seq + 1, TcpFlags.Ack, 1000)
        {
            Options = new TcpOptions { Timestamps = new TcpTimestamps(PeerTsval + 2, ourTsval) },
        }, new byte[50], localPort: Port);
        var sackAck = h.FlushSingle();
        sackAck.Check(TcpCheck.Ack(PeerIsn + 1), TcpCheck.SackBlocks(new SackBlock(PeerIsn + 201, PeerIsn + 251)));
        Assert.True(unchecked((int)(sackAck.Options.Timestamps!.Value.Value - ourTsval)) >= 30, "the connection's clock continues the cookie's TSval");
        AssertDataFlowsBothWays(h, c, 40001, new TcpOptions { Timestamps = new TcpTimestamps(PeerTsval + 3, ourTsval) }, cookie.Seq);
    }

    [Fact] // without timestamps a cookie carries only the MSS (Linux clears the other options)
    public void Cookie_without_timestamps_keeps_only_the_mss()
    {
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = 1 });
        var listener = h.Stack.Listen(Port);
        var cookie = FillQueueThenCookie(h, 40001, new TcpOptions { MaximumSegmentSize = 1460, WindowScale = 7, SackPermitted = true });
        cookie.Check(TcpCheck.WindowScale(null), TcpCheck.SackPermitted(false), TcpCheck.TimestampEcho(null));
        h.Deliver(Ack(40001, cookie.Seq + 1), localPort: Port);
        Assert.True(listener.TryAccept(out var c));
        Assert.False(c.WindowScalingEnabled || c.SackEnabled || c.TimestampsEnabled);
        Assert.Equal(1460, c.SendMss);
    }

    [Theory] // Linux cookie_v4_check fails, and the ACK falls to the listener, which resets it (RFC 9293 §3.10.7.2): counted
    [InlineData("mangled")]
    [InlineData("other-port")]
    [InlineData("old")]
    [InlineData("forged-sack-echo")]
    public void Bad_cookie_ack_is_reset_and_counted(string how)
    {
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = 1, SelectiveAcknowledgments = how != "forged-sack-echo" });
        var listener = h.Stack.Listen(Port);
        var offer = AllOptions();
        var cookie = FillQueueThenCookie(h, 40001, offer);
        uint ourTsval = cookie.Options.Timestamps!.Value.Value;
        uint ack = cookie.Seq + 1;
        ushort from = 40001;
        switch (how)
        {
            case "mangled": ack ^= 0x10; break;
            case "other-port": from = 40002; break;
            case "old":
                h.Advance(TimeSpan.FromSeconds(150)); // two counters on and more
                h.Deliver(Syn(40003, offer), localPort: Port); // cookies still being sent: the ACK is checked
                h.Flush();
                break;
            case "forged-sack-echo": ourTsval |= 1 << 4; break; // SACK was off, so the cookie never said SACK
        }
        h.Deliver(Ack(from, ack, new TcpOptions { Timestamps = new TcpTimestamps(PeerTsval + 1, ourTsval) }), localPort: Port);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Rst), TcpCheck.Seq(ack));
        Assert.Equal(1, h.Stack.Stats.SynCookiesRejected);
        Assert.Equal(0, h.Stack.Stats.SynCookiesValidated);
        Assert.False(listener.TryAccept(out _));
    }

    [Fact] // Linux tcp_synq_no_recent_overflow: without a recent cookie an ACK is not read as one
    public void Stray_ack_without_recent_cookies_is_reset_uncounted()
    {
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = 1 });
        h.Stack.Listen(Port);
        h.Deliver(Ack(40001, 12345), localPort: Port);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Rst), TcpCheck.Seq(12345));
        Assert.Equal(0, h.Stack.Stats.SynCookiesRejected);
    }

    [Fact] // a valid cookie ACK while the accept queue is full is dropped, as Linux's (the peer retransmits)
    public void Cookie_ack_with_a_full_accept_queue_is_dropped()
    {
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = 1 });
        var listener = h.Stack.Listen(Port, backlog: 1);
        var cookie = FillQueueThenCookie(h, 40001, AllOptions());
        h.Deliver(Ack(40000, h.Iss + 1), localPort: Port); // the queued request completes: the accept queue is full
        var echo = new TcpOptions { Timestamps = new TcpTimestamps(PeerTsval + 1, cookie.Options.Timestamps!.Value.Value) };
        h.Deliver(Ack(40001, cookie.Seq + 1, echo), localPort: Port);
        h.FlushNothing();
        Assert.Equal(1, h.Stack.Stats.ListenOverflows);
        Assert.True(listener.TryAccept(out _));
        h.Deliver(Ack(40001, cookie.Seq + 1, echo), localPort: Port);
        Assert.True(listener.TryAccept(out var c));
        Assert.True(c.SackEnabled && c.WindowScalingEnabled);
    }

    [Fact] // the SYN queue holds requests, not connections: bytes allocated per half-open connection, counted exactly
    public void Half_open_connection_costs_a_small_request()
    {
        const int count = 2000;
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = count, MaxSynAckRetransmissions = 0 });
        h.Stack.Listen(Port, backlog: count);
        var syns = new byte[count][];
        var resets = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            syns[i] = Emit(Syn((ushort)(20000 + i), AllOptions()));
            resets[i] = Emit(new TcpHeader((ushort)(20000 + i), Port, PeerIsn + 1, 0, TcpFlags.Rst, 0));
        }
        DeliverAll(h, syns);
        DeliverAll(h, resets); // the tables keep their capacity: the second round measures the requests alone
        h.Flush();
        long before = GC.GetAllocatedBytesForCurrentThread();
        DeliverAll(h, syns);
        long perRequest = (GC.GetAllocatedBytesForCurrentThread() - before) / count;
        Assert.Equal(count, h.Stack.SynRequestCount);

        var acks = new byte[count][];
        for (int i = 0; i < count; i++) acks[i] = Emit(Ack((ushort)(20000 + i), h.Iss + 1, new TcpOptions { Timestamps = new TcpTimestamps(PeerTsval, 0) }));
        before = GC.GetAllocatedBytesForCurrentThread();
        DeliverAll(h, acks);
        long perConnection = (GC.GetAllocatedBytesForCurrentThread() - before) / count;
        Assert.Equal(count, h.Stack.ConnectionCount);
        output.WriteLine($"bytes allocated per half-open request {perRequest}, per connection made from it {perConnection}");
        Assert.InRange(perRequest, 1, 256);
        Assert.True(perConnection > 8 * perRequest, $"a connection ({perConnection} B) costs many requests ({perRequest} B)");
    }

    [Fact] // a SYN flood past the SYN queue costs no memory: each cookie SYN-ACK is computed and queued without allocating
    public void Cookie_syns_allocate_nothing()
    {
        const int count = 1000;
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = 1 });
        h.Stack.Listen(Port);
        var syns = new byte[count][];
        for (int i = 0; i < count; i++) syns[i] = Emit(Syn((ushort)(20000 + i), AllOptions()));
        DeliverAll(h, syns[..200]); // warm-up: the first fills the SYN queue, the rest are cookies
        var writer = new DiscardingWriter(new byte[2048]);
        h.Stack.Flush(ref writer, h.Now);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 200; i < count; i += 100)
        {
            DeliverAll(h, syns.AsSpan(i, 100)); // within the SYN-ACK queue's bound, flushed after each batch as the loop does
            h.Stack.Flush(ref writer, h.Now);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(count - 1, h.Stack.Stats.SynCookiesSent);
        Assert.Equal(count, writer.Written);
        Assert.Equal(0, allocated);
    }

    private struct DiscardingWriter(byte[] buffer) : ITcpSegmentWriter
    {
        public readonly bool TakesPayloadByReference => false;
        public readonly void Commit(int headerLength, int segmentSize, in SegmentPayload payload) => throw new NotSupportedException("payloads are copied into this writer's buffer");
        public int Written { get; private set; }
        public readonly Span<byte> Begin(Ipv4Address source, Ipv4Address destination) => buffer;
        public void Commit(int segmentLength, int segmentSize) => Written += segmentLength > 0 ? 1 : 0;
    }

    private static byte[] Emit(TcpHeader header)
    {
        var buffer = new byte[header.Length];
        header.Emit(buffer, EngineHarness.Remote, EngineHarness.Local);
        return buffer;
    }

    private static void DeliverAll(EngineHarness h, ReadOnlySpan<byte[]> segments)
    {
        foreach (var bytes in segments)
        {
            TcpSegment.TryParse(bytes, out var segment);
            h.Stack.OnSegment(EngineHarness.Remote, EngineHarness.Local, segment, h.Now);
        }
    }

    /// <summary>Fills the one-entry SYN queue from port 40000, then sends a SYN from <paramref name="from"/>: its cookie SYN-ACK.</summary>
    private static Sent FillQueueThenCookie(EngineHarness h, ushort from, TcpOptions offer)
    {
        h.Deliver(Syn(40000), localPort: Port);
        h.FlushSingle().Check(TcpCheck.Seq(h.Iss));
        h.Deliver(Syn(from, offer), localPort: Port);
        var cookie = h.FlushSingle();
        cookie.Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack), TcpCheck.Ack(PeerIsn + 1));
        Assert.NotEqual(h.Iss, cookie.Seq);
        return cookie;
    }

    /// <summary>100 bytes from the peer reach the application, and 100 from the application reach the peer.</summary>
    private static void AssertDataFlowsBothWays(EngineHarness h, TcpConnection c, ushort from, TcpOptions options, uint? iss = null)
    {
        uint ourNext = (iss ?? h.Iss) + 1;
        var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        h.Deliver(new TcpHeader(from, Port, PeerIsn + 1, ourNext, TcpFlags.Ack | TcpFlags.Psh, 1000) { Options = options }, data, localPort: Port);
        var read = new byte[200];
        Assert.Equal(100, c.Receive(read));
        Assert.Equal(data, read[..100]);
        Assert.Equal(100, c.Send(data));
        var sent = h.Flush().Single(s => s.Payload.Length > 0);
        sent.Check(TcpCheck.Seq(ourNext), TcpCheck.Ack(PeerIsn + 101));
        Assert.Equal(data, sent.Payload);
    }
}
