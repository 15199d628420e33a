using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Runtime;

/// <summary>
/// Two complete stacks (interface with ARP, TCP, poll loop) over the simulated link on virtual time: the same code
/// that runs on pcap, driven deterministically.
/// </summary>
public sealed class PollLoopOverSimulatedLinkTests
{
    private sealed class Host
    {
        public required SimulatedLinkDevice Device;
        public required PollLoop Loop;
        public NetworkInterface Nic => Loop.Interface;
        public TcpStack Tcp => Loop.Interface.Tcp;
    }

    private sealed class Network
    {
        public readonly Host A, B;
        public Instant Now = Instant.FromMilliseconds(1000);

        /// <param name="receiverClock">B's <see cref="NetworkInterface.Clock"/>: how much later than the turn's time its output leaves.</param>
        public Network(LinkProfile profile, ulong seed = 1, TcpConfig? receiverTcp = null, TimeSpan? receiverClock = null)
        {
            var link = new SimulatedLink(profile, seed);
            A = MakeHost(link, LinkSide.A, MacAddress.Parse("02:00:00:00:00:0a"), new Ipv4Address(198, 18, 0, 2), new TcpConfig(), null);
            B = MakeHost(link, LinkSide.B, MacAddress.Parse("02:00:00:00:00:0b"), new Ipv4Address(198, 18, 0, 1), receiverTcp ?? new TcpConfig(),
                         receiverClock is { } late ? () => Now + late : null);
        }

        private static Host MakeHost(SimulatedLink link, LinkSide side, MacAddress mac, Ipv4Address ip, TcpConfig tcpConfig, Func<Instant>? clock)
        {
            var device = new SimulatedLinkDevice(link, side, mac);
            var tcp = new TcpStack(tcpConfig, InitialSequenceNumbers.CreateRandom(), (ulong)side + 7);
            var nic = new NetworkInterface(new InterfaceConfig { MacAddress = mac, Address = ip, PrefixLength = 24 }, tcp, new DeviceOutput(device)) { Clock = clock };
            return new Host { Device = device, Loop = new PollLoop(device, nic) };
        }

        /// <summary>Turns both loops, jumping virtual time to the next event, until <paramref name="done"/> or the limit.</summary>
        public bool RunUntil(Func<bool> done, TimeSpan limit)
        {
            var end = Now + limit;
            while (Now <= end)
            {
                foreach (var host in new[] { A, B })
                {
                    host.Device.Now = Now;
                    while (host.Loop.Turn(Now) > 0) { }
                }
                if (done()) return true;
                var next = Instant.Min(Instant.Min(A.Device.NextArrival, B.Device.NextArrival), Instant.Min(A.Loop.NextDeadline, B.Loop.NextDeadline));
                if (next.IsNever) return done();
                if (next > Now) Now = next;
            }
            return false;
        }
    }

    private sealed class EchoCounter : IEchoReplyListener
    {
        public int Replies;
        public void OnEchoReply(Ipv4Address from, ushort identifier, ushort sequence, int dataLength, byte timeToLive, Instant at) => Replies++;
    }

    [Fact] // ARP resolves in both directions and ICMP echo is answered
    public void Ping_resolves_arp_and_gets_replies()
    {
        var net = new Network(LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1) });
        var replies = new EchoCounter();
        net.A.Nic.EchoReplies = replies;
        for (ushort seq = 1; seq <= 3; seq++) net.A.Nic.SendEchoRequest(net.B.Nic.Config.Address, 9, seq, new byte[56], net.Now);
        Assert.True(net.RunUntil(() => replies.Replies == 3, TimeSpan.FromSeconds(5)));
        Assert.True(net.A.Nic.IsResolved(net.B.Nic.Config.Address));
        Assert.True(net.B.Nic.IsResolved(net.A.Nic.Config.Address)); // learned from A's request for it
        Assert.Equal(1, net.A.Nic.Stats.ArpRequestsSent);
    }

    [Fact] // a full TCP transfer through interface, ARP and poll loop, over a lossy link, byte-exact
    public void Tcp_transfer_over_the_full_stack_is_byte_exact()
    {
        var net = new Network(LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(2), Loss = 0.01, Reorder = 0.02 }, seed: 5);
        var listener = net.B.Tcp.Listen(80);
        var client = net.A.Tcp.Connect(net.A.Nic.Config.Address, net.B.Nic.Config.Address, 80, net.Now);
        var data = new byte[3_000_000];
        new DeterministicRandom(11).NextBytes(data);
        var received = new MemoryStream();
        TcpConnection? server = null;
        int sent = 0;
        var buffer = new byte[65536];
        net.A.Loop.OnTurn = _ =>
        {
            if (client.State == TcpState.Established && sent < data.Length) sent += client.Send(data.AsSpan(sent));
            if (sent == data.Length && client.State == TcpState.Established) client.Close();
        };
        net.B.Loop.OnTurn = _ =>
        {
            if (server is null && listener.TryAccept(out var accepted)) server = accepted;
            if (server is null) return;
            int n;
            while ((n = server.Receive(buffer)) > 0) received.Write(buffer, 0, n);
            if (server.IsReceiveComplete && server.State == TcpState.CloseWait) server.Close();
        };
        Assert.True(net.RunUntil(() => server is { IsClosed: true } && received.Length == data.Length, TimeSpan.FromMinutes(5)),
            $"client {client.State} {client.Error}, server {server?.State}, received {received.Length}");
        Assert.Equal(data, received.ToArray());
        Assert.True(net.A.Tcp.TotalConnectionStats().Retransmissions > 0, "the lossy link should have cost retransmissions");
        Assert.Equal(0, net.A.Nic.Stats.TotalDrops + net.B.Nic.Stats.TotalDrops - net.A.Nic.Stats.DropBadChecksum - net.B.Nic.Stats.DropBadChecksum);
    }

    [Theory] // with a real clock the recorded ACK delay ends when the ACK is written, for both policies (naive flushes inside the receive)
    [InlineData(AckPolicy.Cumulative)]
    [InlineData(AckPolicy.Naive)]
    public void Ack_delay_ends_at_the_clock_reading_of_the_flush(AckPolicy policy)
    {
        var late = TimeSpan.FromMicroseconds(30);
        var net = new Network(LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1) }, receiverTcp: new TcpConfig { AckPolicy = policy }, receiverClock: late);
        var samples = new long[1000];
        net.B.Tcp.AckLatency.KeepSamples(samples);
        var listener = net.B.Tcp.Listen(80);
        var client = net.A.Tcp.Connect(net.A.Nic.Config.Address, net.B.Nic.Config.Address, 80, net.Now);
        var data = new byte[100 * 1448];
        int sent = 0;
        TcpConnection? server = null;
        var buffer = new byte[65536];
        long received = 0;
        net.A.Loop.OnTurn = _ => { if (client.State == TcpState.Established && sent < data.Length) sent += client.Send(data.AsSpan(sent)); };
        net.B.Loop.OnTurn = _ =>
        {
            if (server is null && listener.TryAccept(out var accepted)) server = accepted;
            int n;
            while (server is not null && (n = server.Receive(buffer)) > 0) received += n;
        };
        Assert.True(net.RunUntil(() => received == data.Length && net.B.Tcp.AckLatency.Count >= 100, TimeSpan.FromSeconds(5)));
        var recorded = net.B.Tcp.AckLatency.Samples;
        Assert.Equal(net.B.Tcp.AckLatency.Count, recorded.Length);
        // Every data segment was processed at its arrival time at the latest, and its ACK left at least `late` after that.
        Assert.True(recorded.ToArray().Min() >= (long)late.TotalNanoseconds, $"shortest recorded ACK delay {recorded.ToArray().Min()} ns");
    }

    [Fact] // as Linux ACKs from the softirq before the reader runs: a batch's ACK does not wait for the application's copy
    public void A_batchs_cumulative_ack_is_written_before_the_application_reads()
    {
        var net = new Network(LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1) });
        var listener = net.B.Tcp.Listen(80);
        var client = net.A.Tcp.Connect(net.A.Nic.Config.Address, net.B.Nic.Config.Address, 80, net.Now);
        var data = new byte[200 * 1448];
        int sent = 0, dataTurns = 0, ackWaitingForTheRead = 0;
        long received = 0;
        TcpConnection? server = null;
        var buffer = new byte[65536];
        net.A.Loop.OnTurn = _ => { if (client.State == TcpState.Established && sent < data.Length) sent += client.Send(data.AsSpan(sent)); };
        net.B.Loop.OnTurn = _ =>
        {
            if (server is null && listener.TryAccept(out var accepted)) server = accepted;
            bool pending = net.B.Tcp.HasPendingOutput;
            int n, read = 0;
            while (server is not null && (n = server.Receive(buffer)) > 0) read += n;
            if (read == 0) return;
            received += read;
            dataTurns++;
            if (pending) ackWaitingForTheRead++;
        };
        Assert.True(net.RunUntil(() => received == data.Length, TimeSpan.FromSeconds(5)));
        Assert.True(dataTurns >= 5, $"{dataTurns} turns delivered data");
        Assert.Equal(0, ackWaitingForTheRead);
    }

    [Fact] // a SYN to a closed port is answered by a RST: the connection is refused at once
    public void Closed_port_refuses()
    {
        var net = new Network(LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1) });
        var client = net.A.Tcp.Connect(net.A.Nic.Config.Address, net.B.Nic.Config.Address, 9, net.Now);
        Assert.True(net.RunUntil(() => client.IsClosed, TimeSpan.FromSeconds(1)));
        Assert.Equal(TcpError.ConnectionRefused, client.Error);
    }

    [Fact] // an address nobody holds: ARP goes unanswered and the connection fails as unreachable in bounded time
    public void Address_nobody_holds_is_unreachable()
    {
        var net = new Network(LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1) });
        var client = net.A.Tcp.Connect(net.A.Nic.Config.Address, new Ipv4Address(198, 18, 0, 77), 80, net.Now);
        var start = net.Now;
        Assert.True(net.RunUntil(() => client.IsClosed, TimeSpan.FromSeconds(10)));
        Assert.Equal(TcpError.HostUnreachable, client.Error);
        Assert.True(net.Now - start <= TimeSpan.FromSeconds(4));
    }

    [Fact] // the poll loop's counters show up through System.Diagnostics.Metrics
    public void Counters_are_published_as_metrics()
    {
        var net = new Network(LinkProfile.Perfect);
        var metrics = new StackMetrics(net.A.Loop);
        var seen = new Dictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Scope == metrics) l.EnableMeasurementEvents(instrument); }; // not other tests' stacks
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => seen[instrument.Name] = seen.GetValueOrDefault(instrument.Name) + value);
        listener.Start();
        net.A.Nic.SendEchoRequest(net.B.Nic.Config.Address, 1, 1, new byte[8], net.Now);
        net.RunUntil(() => net.A.Nic.Stats.IcmpEchoRepliesReceived == 1, TimeSpan.FromSeconds(1));
        listener.RecordObservableInstruments();
        Assert.Equal(2, seen["usertcp.frames.received"]); // ARP reply and echo reply
        Assert.Equal(1, seen["usertcp.arp.requests_sent"]);
        Assert.Contains("frames received", metrics.Format());
        metrics.Dispose();
    }

    [Fact] // --stats shows how long collections stopped the process since the stack started (they stop the poll thread too)
    public void The_report_shows_the_garbage_collections_pause_since_the_stack_started()
    {
        var net = new Network(LinkProfile.Perfect);
        var metrics = new StackMetrics(net.A.Loop);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        var line = metrics.Format().Split('\n').Single(l => l.TrimStart().StartsWith("gc pause microseconds (process)", StringComparison.Ordinal));
        Assert.True(long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1], System.Globalization.CultureInfo.InvariantCulture) > 0, line);
        metrics.Dispose();
    }
}
