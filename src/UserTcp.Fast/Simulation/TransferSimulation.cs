using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Simulation;

/// <summary>Sees every frame a simulated host puts on the link (tracing, pcap writing).</summary>
public delegate void FrameTap(LinkSide from, ReadOnlySpan<byte> frame, Instant at);

/// <summary>One seeded transfer between two engines over a simulated link: who sends how much, over what link.</summary>
public sealed record TransferScenario
{
    public ulong Seed { get; init; }
    /// <summary>Bytes the client sends to the server (upload).</summary>
    public long BytesFromClient { get; init; }
    /// <summary>Bytes the server sends to the client (download).</summary>
    public long BytesFromServer { get; init; }
    public LinkProfile ClientToServer { get; init; } = LinkProfile.Perfect;
    public LinkProfile ServerToClient { get; init; } = LinkProfile.Perfect;
    public TcpConfig ClientConfig { get; init; } = new();
    public TcpConfig ServerConfig { get; init; } = new();
    /// <summary>The client application reads at most this many bytes per second (null: as fast as data comes).</summary>
    public long? ClientReadBytesPerSecond { get; init; }
    /// <summary>Frames a host processes per receive batch before it flushes its ACKs.</summary>
    public int Batch { get; init; } = 64;
    /// <summary>Frames the link holds in flight (queue plus propagation); large for a high bandwidth-delay product.</summary>
    public int LinkFramesInFlight { get; init; } = 8192;
    public TimeSpan VirtualTimeLimit { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Fixed initial sequence numbers (e.g. just before 2^32, to cross the wrap); null: RFC 6528 ISNs.</summary>
    public uint? ClientIss { get; init; }
    public uint? ServerIss { get; init; }
    /// <summary>Fill and check every byte (the default). Off, applications move unfilled buffers: for throughput benchmarks,
    /// so they measure the stack and not the pattern generator.</summary>
    public bool VerifyData { get; init; } = true;
    /// <summary>Called with every frame either host sends, before the link's faults apply.</summary>
    public FrameTap? Tap { get; init; }
}

/// <summary>What a simulated transfer did. <see cref="Failure"/> is null when it was byte-exact and closed cleanly.</summary>
public sealed record TransferResult
{
    public required ulong Seed { get; init; }
    public string? Failure { get; init; }
    public bool Succeeded => Failure is null;
    public long BytesFromClient { get; init; }
    public long BytesFromServer { get; init; }
    /// <summary>Virtual time until both applications had every byte.</summary>
    public TimeSpan DataTime { get; init; }
    /// <summary>Virtual time until both stacks had forgotten the connection (TIME-WAIT included).</summary>
    public TimeSpan CloseTime { get; init; }
    public long Retransmissions { get; init; }
    public long RetransmissionTimeouts { get; init; }
    public long FastRetransmits { get; init; }
    public long AcksSent { get; init; }
    public long SegmentsSent { get; init; }
    public long FramesDropped { get; init; }
    public TcpError ClientError { get; init; }
    public TcpError ServerError { get; init; }

    public double GoodputMbps => DataTime > TimeSpan.Zero ? (BytesFromClient + BytesFromServer) * 8 / DataTime.TotalSeconds / 1e6 : 0;
}

/// <summary>
/// Runs a <see cref="TransferScenario"/>: a client stack connects to a server stack across a <see cref="SimulatedLink"/>,
/// both stream a keyed byte pattern, check every byte they receive, close, and wait until both stacks are empty.
/// Virtual time jumps from event to event (frame delivery, timer, slow reader), so a run is exact and repeatable.
/// </summary>
public static class TransferSimulation
{
    public static readonly Ipv4Address ClientAddress = new(198, 18, 0, 2);
    public static readonly Ipv4Address ServerAddress = new(198, 18, 0, 1);
    public const ushort ServerPort = 5001;
    private static readonly MacAddress ClientMac = new(0x02_00_00_00_00_02);
    private static readonly MacAddress ServerMac = new(0x02_00_00_00_00_01);
    private const long MaxIterations = 200_000_000;

    public static TransferResult Run(TransferScenario scenario) => new Runner(scenario).Run();

    private sealed class Runner
    {
        private readonly TransferScenario _s;
        private readonly SimulatedLink _link;
        private readonly SimulatedHost _client, _server;
        private readonly Endpoint _clientApp, _serverApp;
        private readonly TcpListener _listener;
        private Instant _now = Instant.FromMilliseconds(1000);
        private Instant _dataDoneAt = Instant.Never;

        public Runner(TransferScenario scenario)
        {
            _s = scenario;
            var random = new DeterministicRandom(scenario.Seed);
            _link = new SimulatedLink(scenario.ClientToServer, scenario.ServerToClient, random.NextUInt64(), scenario.LinkFramesInFlight);
            var clientStack = new TcpStack(scenario.ClientConfig, IsnSource(random, scenario.ClientIss), random.NextUInt64());
            var serverStack = new TcpStack(scenario.ServerConfig, IsnSource(random, scenario.ServerIss), random.NextUInt64());
            _client = new SimulatedHost(_link, LinkSide.A, ClientMac, ClientAddress, ServerMac, clientStack) { Tap = scenario.Tap };
            _server = new SimulatedHost(_link, LinkSide.B, ServerMac, ServerAddress, ClientMac, serverStack) { Tap = scenario.Tap };
            _listener = serverStack.Listen(ServerPort);
            ulong patternSeed = random.NextUInt64();
            _clientApp = new Endpoint(new TransferPattern(patternSeed), new TransferPattern(patternSeed ^ 0x5555), scenario.BytesFromClient, scenario.BytesFromServer, scenario.ClientReadBytesPerSecond, scenario.VerifyData);
            _serverApp = new Endpoint(new TransferPattern(patternSeed ^ 0x5555), new TransferPattern(patternSeed), scenario.BytesFromServer, scenario.BytesFromClient, null, scenario.VerifyData);
        }

        private static IInitialSequenceNumberSource IsnSource(DeterministicRandom random, uint? fixedIss)
        {
            var key = new byte[32];
            random.NextBytes(key);
            return fixedIss is { } iss ? new FixedInitialSequenceNumbers(new SeqNum(iss)) : new InitialSequenceNumbers(key);
        }

        public TransferResult Run()
        {
            _clientApp.Connection = _client.Stack.Connect(ClientAddress, ServerAddress, ServerPort, _now);
            _client.Flush(_now);
            var limit = _now + _s.VirtualTimeLimit;
            for (long iteration = 0; iteration < MaxIterations; iteration++)
            {
                while (_link.NextDelivery(LinkSide.A) <= _now) _client.Poll(_now, _s.Batch);
                while (_link.NextDelivery(LinkSide.B) <= _now) _server.Poll(_now, _s.Batch);
                _client.RunTimers(_now);
                _server.RunTimers(_now);
                if (_serverApp.Connection is null && _listener.TryAccept(out var accepted)) _serverApp.Connection = accepted;
                string? failure = _clientApp.Step(_now, "client") ?? _serverApp.Step(_now, "server");
                if (failure is not null) return Result(failure);
                _client.Flush(_now);
                _server.Flush(_now);

                if (_dataDoneAt.IsNever && _clientApp.HasAllData && _serverApp.HasAllData) _dataDoneAt = _now;
                if (_clientApp.Finished && _serverApp.Finished && _client.Stack.ConnectionCount == 0 && _server.Stack.ConnectionCount == 0)
                {
                    if (!_client.Stack.NextDeadline.IsNever || !_server.Stack.NextDeadline.IsNever) return Result("a timer is still armed after both ends closed");
                    return Result(null);
                }

                var next = Instant.Min(Instant.Min(_link.NextDelivery(), _client.Stack.NextDeadline),
                                       Instant.Min(_server.Stack.NextDeadline, _clientApp.WakeAt));
                if (next.IsNever) return Result($"stalled: nothing left to happen (client {Describe(_clientApp)}, server {Describe(_serverApp)})");
                if (next > _now) _now = next;
                if (_now > limit) return Result($"virtual time limit {_s.VirtualTimeLimit} reached (client {Describe(_clientApp)}, server {Describe(_serverApp)})");
            }
            return Result("iteration limit reached without progress in virtual time");
        }

        private static string Describe(Endpoint e) =>
            e.Connection is null ? "not connected" : $"{e.Connection.State} sent {e.Sent}/{e.ToSend} received {e.Received}/{e.ToReceive} error {e.Connection.Error}";

        private TransferResult Result(string? failure)
        {
            long Sum(Func<TcpConnectionStats, long> pick) =>
                (_clientApp.Connection is { } c ? pick(c.Stats) : 0) + (_serverApp.Connection is { } s ? pick(s.Stats) : 0);
            var up = _link.CountersFrom(LinkSide.A);
            var down = _link.CountersFrom(LinkSide.B);
            var start = Instant.FromMilliseconds(1000);
            return new TransferResult
            {
                Seed = _s.Seed,
                Failure = failure,
                BytesFromClient = _serverApp.Received,
                BytesFromServer = _clientApp.Received,
                DataTime = (_dataDoneAt.IsNever ? _now : _dataDoneAt) - start,
                CloseTime = _now - start,
                Retransmissions = Sum(s => s.Retransmissions),
                RetransmissionTimeouts = Sum(s => s.RetransmissionTimeouts),
                FastRetransmits = Sum(s => s.FastRetransmits),
                AcksSent = Sum(s => s.PureAcksSent),
                SegmentsSent = Sum(s => s.SegmentsSent),
                FramesDropped = up.LostRandom + up.LostBurst + up.DroppedQueue + up.DroppedMtu + down.LostRandom + down.LostBurst + down.DroppedQueue + down.DroppedMtu,
                ClientError = _clientApp.Connection?.Error ?? TcpError.None,
                ServerError = _serverApp.Connection?.Error ?? TcpError.None,
            };
        }
    }

    /// <summary>An application on one end: writes its pattern as fast as the send buffer takes it, reads and checks everything.</summary>
    private sealed class Endpoint(TransferPattern outgoing, TransferPattern incoming, long toSend, long toReceive, long? readBytesPerSecond, bool verify)
    {
        private readonly byte[] _scratch = new byte[64 * 1024];
        private Instant _lastRead = Instant.Never;
        private bool _closed;

        public TcpConnection? Connection { get; set; }
        public long ToSend => toSend;
        public long ToReceive => toReceive;
        public long Sent { get; private set; }
        public long Received { get; private set; }
        public Instant WakeAt { get; private set; } = Instant.Never;
        public bool HasAllData => Received == toReceive && Connection is { IsReceiveComplete: true };
        public bool Finished => HasAllData && _closed && Sent == toSend;

        public string? Step(Instant now, string who)
        {
            var c = Connection;
            if (c is null) return null;
            if (c.Error != TcpError.None) return $"{who} connection failed: {c.Error} in {c.State} (sent {Sent}/{toSend}, received {Received}/{toReceive})";
            while (Sent < toSend && c.SendSpace > 0)
            {
                int n = (int)Math.Min(Math.Min(_scratch.Length, c.SendSpace), toSend - Sent);
                if (verify) outgoing.Fill(Sent, _scratch.AsSpan(0, n));
                Sent += c.Send(_scratch.AsSpan(0, n));
            }
            if (Sent == toSend && !_closed && c.State is TcpState.Established or TcpState.CloseWait)
            {
                c.Close();
                _closed = true;
            }
            WakeAt = Instant.Never;
            while (c.BytesAvailable > 0)
            {
                int allowed = _scratch.Length;
                if (readBytesPerSecond is { } rate)
                {
                    if (_lastRead.IsNever) _lastRead = now;
                    allowed = (int)Math.Min(_scratch.Length, (now.Nanoseconds - _lastRead.Nanoseconds) * rate / 1_000_000_000);
                    if (allowed == 0)
                    {
                        WakeAt = now + TimeSpan.FromMilliseconds(1); // come back when the slow reader may read again
                        break;
                    }
                    _lastRead = now;
                }
                int n = c.Receive(_scratch.AsSpan(0, allowed));
                long bad = verify ? incoming.FindMismatch(Received, _scratch.AsSpan(0, n)) : -1;
                if (bad >= 0) return $"{who} received a wrong byte at stream offset {bad}";
                Received += n;
                if (Received > toReceive) return $"{who} received {Received} bytes, more than the {toReceive} sent";
                if (readBytesPerSecond is not null)
                {
                    if (c.BytesAvailable > 0) WakeAt = now + TimeSpan.FromMilliseconds(1); // more to read, later
                    break;
                }
            }
            if (c.IsReceiveComplete && Received != toReceive) return $"{who} saw the peer's FIN after {Received} of {toReceive} bytes";
            return null;
        }
    }
}
