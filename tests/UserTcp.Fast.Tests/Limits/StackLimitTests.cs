using UserTcp.Fast.Dns;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp.Sack;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Tests.Dns;
using UserTcp.Fast.Tests.Runtime;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Frames;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Limits;

/// <summary>
/// The rows of README's limits table that no other test reaches: each drives one bound of the stack to its limit and
/// checks what the table says happens there (drop and count, or refuse), and that nothing grows past it.
/// </summary>
public sealed class StackLimitTests
{
    private const ushort ClosedPort = 9, ListenPort = 8080;
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    [Fact] // RSTs for segments of no connection wait for the next flush in a fixed queue: beyond it they are dropped, counted
    public void Resets_beyond_the_reset_queue_are_dropped_and_counted()
    {
        var h = new EngineHarness();
        const int segments = 100;
        for (int i = 0; i < segments; i++)
            h.Deliver(new TcpHeader((ushort)(40000 + i), ClosedPort, 7000, 4242, TcpFlags.Ack, 100), localPort: ClosedPort);
        int sent = h.Flush().Count;
        Assert.Equal(64, sent);
        Assert.Equal(segments - sent, h.Stack.Stats.ResetsDropped);
        Assert.Equal(segments, h.Stack.Stats.SegmentsForNoConnection);
    }

    [Fact] // SYN-ACKs wait for the flush in a fixed queue; one dropped there is sent again by its request's timer
    public void Syn_acks_beyond_their_queue_are_dropped_counted_and_sent_again_by_the_timer()
    {
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = 1000 });
        h.Stack.Listen(ListenPort, backlog: 1000);
        const int syns = 300;
        for (int i = 0; i < syns; i++)
            h.Deliver(new TcpHeader((ushort)(40000 + i), ListenPort, 7000, 0, TcpFlags.Syn, 29200), localPort: ListenPort);
        int sent = h.Flush().Count;
        Assert.Equal(256, sent);
        Assert.Equal(syns - sent, h.Stack.Stats.SynAcksDropped);
        Assert.Equal(syns, h.Stack.SynRequestCount); // the requests stay: their timers retransmit
        h.Advance(h.Config.InitialRetransmissionTimeout);
        Assert.NotEmpty(h.Flush());
    }

    [Fact] // out-of-order data is held in at most SeqRangeSet.MaxRanges ranges; past that it is refused and counted,
           // while in-order data is always taken (PITFALLS: a full table must never stall the next expected segment)
    public void Out_of_order_ranges_beyond_the_table_are_refused_and_in_order_data_still_taken()
    {
        var h = new EngineHarness();
        var connection = h.Establish();
        const int length = 100;
        for (int i = 0; i <= SeqRangeSet.MaxRanges; i++)
        {
            var (header, payload) = h.PeerData((2 * i + 1) * length, length); // every other segment: disjoint ranges
            h.Deliver(header, payload);
        }
        Assert.Equal(1, connection.Stats.ReassemblyRefused);
        var (first, firstPayload) = h.PeerData(0, length);
        h.Deliver(first, firstPayload);
        var buffer = new byte[4 * length];
        Assert.Equal(2 * length, connection.Receive(buffer)); // the hole's segment and the held range after it
    }

    [Fact] // the send buffer takes what fits its room (SendSpace, up to SendBufferSize) and no more: TcpStream.WriteAsync
           // waits for the rest; nothing is queued beyond it
    public void Send_takes_only_what_fits_the_send_buffer()
    {
        var h = new EngineHarness(new TcpConfig { SendBufferSize = 32 << 10, InitialSendBufferSize = 32 << 10 });
        var connection = h.Establish();
        Assert.Equal(32 << 10, connection.SendSpace);
        Assert.Equal(32 << 10, connection.Send(new byte[40 << 10]));
        Assert.Equal(0, connection.SendSpace);
        Assert.Equal(0, connection.Send(new byte[1]));
        Assert.Equal(32 << 10, connection.BytesUnacknowledged);
    }

    [Fact] // Linux's ephemeral range, 32768–60999: towards one server port every four-tuple in use or in TIME-WAIT refuses the next
    public void Connect_refuses_once_every_ephemeral_port_towards_a_server_port_is_taken()
    {
        var h = new EngineHarness();
        const int ports = 60999 - 32768 + 1;
        for (int i = 0; i < ports; i++)
            h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, EngineHarness.RemotePort, h.Now);
        var refused = Assert.Throws<InvalidOperationException>(() => h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, EngineHarness.RemotePort, h.Now));
        Assert.Contains("no free ephemeral port", refused.Message, StringComparison.Ordinal);
        h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 443, h.Now); // another server port has its own range
    }

    [Fact] // frames to a neighbour still being resolved wait, at most ArpPendingPackets of them; later ones are dropped, counted
    public void Frames_beyond_the_pending_limit_of_a_neighbour_are_dropped_and_counted()
    {
        var (nic, capture) = Interface(new InterfaceConfig { MacAddress = OurMac, Address = Ours, PrefixLength = 24, ArpPendingPackets = 4 });
        for (ushort i = 0; i < 10; i++) nic.SendEchoRequest(Peer, 1, i, new byte[8], T0);
        Assert.Single(capture.Frames); // the ARP request
        Assert.Equal(6, nic.Stats.ArpPendingDropped);
        capture.Frames.Clear();
        nic.OnFrame(ArpReply(Peer, PeerMac), T0);
        Assert.Equal(4, capture.Frames.Count);
    }

    [Fact] // the neighbour cache holds ArpCacheSize entries; a full cache evicts only an idle entry, else refuses the new
            // neighbour (its frames dropped, counted) instead of growing
    public void A_full_neighbour_cache_refuses_new_neighbours_until_one_is_idle()
    {
        var (nic, capture) = Interface(new InterfaceConfig { MacAddress = OurMac, Address = Ours, PrefixLength = 24, ArpCacheSize = 2 });
        nic.SendEchoRequest(new Ipv4Address(198, 18, 0, 10), 1, 1, new byte[8], T0);
        nic.SendEchoRequest(new Ipv4Address(198, 18, 0, 11), 1, 1, new byte[8], T0);
        Assert.Equal(2, capture.Frames.Count); // two ARP requests, both resolving: neither can go
        nic.SendEchoRequest(new Ipv4Address(198, 18, 0, 12), 1, 1, new byte[8], T0);
        Assert.Equal(2, capture.Frames.Count);
        Assert.Equal(1, nic.Stats.ArpPendingDropped);

        // An answered entry with nothing waiting is idle: the next new neighbour takes its place.
        nic.OnFrame(ArpReply(new Ipv4Address(198, 18, 0, 10), PeerMac), T0);
        capture.Frames.Clear();
        nic.SendEchoRequest(new Ipv4Address(198, 18, 0, 12), 1, 2, new byte[8], T0);
        Assert.Single(capture.Frames); // its ARP request
        Assert.Equal(1, nic.Stats.ArpPendingDropped);
    }

    [Fact] // each lookup in flight holds a UDP source port of its own, drawn at random from 49152–65535: with none free
           // the lookup fails at once with NoFreePort (NetworkStack.ResolveAsync: SocketException TooManyOpenSockets)
    public void A_lookup_with_no_free_source_port_fails_at_once_with_no_free_port()
    {
        var net = new DnsTestNetwork([DnsTestNetwork.Server1]);
        var holder = new PortHolder();
        for (int port = StubResolver.FirstSourcePort; port <= ushort.MaxValue; port++)
            Assert.True(net.Client.Interface.TryBindUdp((ushort)port, holder));
        var lookup = net.Resolve("web.usertcp.test");
        Assert.True(lookup.IsCompleted);
        Assert.Equal(DnsLookupStatus.NoFreePort, lookup.Status);
        Assert.Equal(0, net.Resolver.PendingLookups);
    }

    [Fact] // application threads hand the poll thread work through a bounded queue (1,024 commands in NetworkStack):
           // a full queue makes the caller wait, it never grows
    public async Task A_full_command_queue_makes_the_caller_wait()
    {
        using var peer = new BoundPeer();
        using var device = new DatagramSocketDevice(peer.Path);
        var nic = new NetworkInterface(new InterfaceConfig { MacAddress = device.MacAddress, Address = Ours, PrefixLength = 24 },
                                       new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 7), new DeviceOutput(device));
        using var thread = new PollThread(new PollLoop(device, nic), commandCapacity: 2);
        thread.Start();
        using var release = new ManualResetEventSlim();
        var running = new TaskCompletionSource();
        var blocker = thread.InvokeAsync((_, _) =>
        {
            running.SetResult();
            release.Wait();
            return 0;
        });
        await running.Task;
        var queued = new[] { thread.PostAsync((_, _) => { }), thread.PostAsync((_, _) => { }) };
        Assert.All(queued, q => Assert.True(q.IsCompleted));
        var waiting = thread.PostAsync((_, _) => { }).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        release.Set();
        await waiting;
        await blocker;
    }

    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly Ipv4Address Ours = new(198, 18, 0, 2), Peer = new(198, 18, 0, 1);

    private static (NetworkInterface, FrameRecorder) Interface(InterfaceConfig config)
    {
        var frames = new FrameRecorder();
        return (new NetworkInterface(config, new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 1), frames), frames);
    }

    private static byte[] ArpReply(Ipv4Address from, MacAddress mac)
    {
        var frame = new byte[60];
        FrameWriter.WriteArp(frame, new EthernetHeader(OurMac, mac, EtherType.Arp), new ArpMessage(ArpOperation.Reply, mac, from, OurMac, Ours));
        return frame;
    }

    /// <summary>Holds UDP ports and ignores what arrives on them.</summary>
    private sealed class PortHolder : IUdpReceiver
    {
        public void OnDatagram(Ipv4Address source, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, Instant at) { }
        public void OnUnreachable(ushort localPort, Ipv4Address destination, UnreachableReason reason, Instant at) { }
    }
}
