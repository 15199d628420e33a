using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Simulation;

/// <summary>
/// A client and a server stack joined by a <see cref="SimulatedLink"/>, with an application on each end, driven on
/// virtual time: <see cref="Start"/> connects, <see cref="Transfer"/> moves more bytes over the same connection (any
/// number of times: benchmarks reuse one pair), <see cref="Close"/> closes both ends and waits until both stacks are
/// empty with no timer left. Virtual time jumps from event to event (delivery, timer, slow reader).
/// </summary>
internal sealed class EnginePair
{
    private const long MaxIterations = 200_000_000;
    private static readonly MacAddress ClientMac = new(0x02_00_00_00_00_02);
    private static readonly MacAddress ServerMac = new(0x02_00_00_00_00_01);
    private static readonly Instant Start0 = Instant.FromMilliseconds(1000);

    private enum Goal { DataDelivered, Drained }

    private readonly TransferScenario _s;
    private readonly SimulatedLink _link;
    private readonly SimulatedHost _client, _server;
    private readonly Endpoint _clientApp, _serverApp;
    private readonly TcpListener _listener;
    private Instant _now = Start0;
    private Instant _dataDoneAt = Instant.Never;
    private string? _failure;

    public EnginePair(TransferScenario scenario)
    {
        _s = scenario;
        var random = new DeterministicRandom(scenario.Seed);
        _link = new SimulatedLink(scenario.ClientToServer, scenario.ServerToClient, random.NextUInt64(), scenario.LinkFramesInFlight);
        var clientStack = new TcpStack(scenario.ClientConfig, IsnSource(random, scenario.ClientIss), random.NextUInt64());
        var serverStack = new TcpStack(scenario.ServerConfig, IsnSource(random, scenario.ServerIss), random.NextUInt64());
        _client = new SimulatedHost(_link, LinkSide.A, ClientMac, TransferSimulation.ClientAddress, ServerMac, TransferSimulation.ServerAddress,
                                    clientStack, scenario.Batch, scenario.Tap);
        _server = new SimulatedHost(_link, LinkSide.B, ServerMac, TransferSimulation.ServerAddress, ClientMac, TransferSimulation.ClientAddress,
                                    serverStack, scenario.Batch, scenario.Tap);
        _listener = serverStack.Listen(TransferSimulation.ServerPort);
        ulong patternSeed = random.NextUInt64();
        _clientApp = new Endpoint(new TransferPattern(patternSeed), new TransferPattern(patternSeed ^ 0x5555), scenario.ClientReadBytesPerSecond, scenario.VerifyData);
        _serverApp = new Endpoint(new TransferPattern(patternSeed ^ 0x5555), new TransferPattern(patternSeed), null, scenario.VerifyData);
        // The applications act inside their host's turns, between receive and flush, as on the live stack's poll thread.
        scenario.OnStacks?.Invoke(_client.Stack, _server.Stack);
        _client.OnTurn = now => _failure ??= _clientApp.Step(now, "client");
        _server.OnTurn = now =>
        {
            if (_serverApp.Connection is null && _listener.TryAccept(out var accepted)) _serverApp.Connection = accepted;
            _failure ??= _serverApp.Step(now, "server");
        };
    }

    public Instant Now => _now;
    public TcpConnection? ClientConnection => _clientApp.Connection;
    public TcpConnection? ServerConnection => _serverApp.Connection;

    private static IInitialSequenceNumberSource IsnSource(DeterministicRandom random, uint? fixedIss)
    {
        var key = new byte[SipHash24.KeyLength];
        random.NextBytes(key);
        return fixedIss is { } iss ? new FixedInitialSequenceNumbers(new SeqNum(iss)) : new InitialSequenceNumbers(key);
    }

    /// <summary>Active open from the client (the SYN leaves in the client's next turn, at the same virtual time).</summary>
    public void Start() =>
        _clientApp.Connection = _client.Stack.Connect(TransferSimulation.ClientAddress, TransferSimulation.ServerAddress, TransferSimulation.ServerPort, _now);

    /// <summary>Moves <paramref name="fromClient"/> and <paramref name="fromServer"/> more bytes; null when they all arrived intact.</summary>
    public string? Transfer(long fromClient, long fromServer)
    {
        _clientApp.Expect(fromClient, fromServer);
        _serverApp.Expect(fromServer, fromClient);
        string? failure = Run(Goal.DataDelivered);
        if (failure is null) _dataDoneAt = _now;
        return failure;
    }

    /// <summary>Both applications close; runs until both stacks have forgotten the connection and no timer is armed.</summary>
    public string? Close()
    {
        _clientApp.CloseWhenSent = _serverApp.CloseWhenSent = true;
        string? failure = Run(Goal.Drained);
        if (failure is null && (!_client.Stack.NextDeadline.IsNever || !_server.Stack.NextDeadline.IsNever))
            failure = "a timer is still armed after both ends closed";
        return failure;
    }

    private bool Reached(Goal goal) => goal switch
    {
        Goal.DataDelivered => _clientApp.HasAllData && _serverApp.HasAllData,
        _ => _clientApp.Finished && _serverApp.Finished && Forgotten(_client.Stack) && Forgotten(_server.Stack),
    };

    /// <summary>No connection left, TIME-WAIT included: its 2*MSL is part of the close.</summary>
    private static bool Forgotten(TcpStack stack) => stack.ConnectionCount == 0 && stack.TimeWaitCount == 0;

    private string? Run(Goal goal)
    {
        var limit = _now + _s.VirtualTimeLimit;
        for (long iteration = 0; iteration < MaxIterations; iteration++)
        {
            // A turn for each host, and more while frames are still due (a turn takes one batch).
            do _client.Turn(_now); while (_client.HasFrameDue(_now));
            do _server.Turn(_now); while (_server.HasFrameDue(_now));
            if (_failure is not null) return _failure;
            if (Reached(goal)) return null;

            var next = Instant.Min(Instant.Min(_link.NextDelivery(), _client.NextDeadline),
                                   Instant.Min(_server.NextDeadline, _clientApp.WakeAt));
            if (next.IsNever) return $"stalled: nothing left to happen (client {Describe(_clientApp)}, server {Describe(_serverApp)})";
            if (next > _now) _now = next;
            if (_now > limit) return $"virtual time limit {_s.VirtualTimeLimit} reached (client {Describe(_clientApp)}, server {Describe(_serverApp)})";
        }
        return "iteration limit reached without progress in virtual time";
    }

    private static string Describe(Endpoint e) =>
        e.Connection is null ? "not connected" : $"{e.Connection.State} sent {e.Sent}/{e.ToSend} received {e.Received}/{e.ToReceive} error {e.Connection.Error}";

    public TransferResult Result(string? failure)
    {
        long Sum(Func<TcpConnectionCounters, long> pick) =>
            (_clientApp.Connection is { } c ? pick(c.Stats) : 0) + (_serverApp.Connection is { } s ? pick(s.Stats) : 0);
        var up = _link.CountersFrom(LinkSide.A);
        var down = _link.CountersFrom(LinkSide.B);
        return new TransferResult
        {
            Seed = _s.Seed,
            Failure = failure,
            BytesFromClient = _serverApp.Received,
            BytesFromServer = _clientApp.Received,
            DataTime = (_dataDoneAt.IsNever ? _now : _dataDoneAt) - Start0,
            CloseTime = _now - Start0,
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

    /// <summary>An application on one end: writes its pattern as fast as the send buffer takes it, reads and checks everything.</summary>
    private sealed class Endpoint(TransferPattern outgoing, TransferPattern incoming, long? readBytesPerSecond, bool verify)
    {
        private readonly byte[] _scratch = new byte[64 * 1024];
        private Instant _lastRead = Instant.Never;
        private bool _closed;

        public TcpConnection? Connection { get; set; }
        public long ToSend { get; private set; }
        public long ToReceive { get; private set; }
        public long Sent { get; private set; }
        public long Received { get; private set; }
        public bool CloseWhenSent { get; set; }
        public Instant WakeAt { get; private set; } = Instant.Never;
        public bool HasAllData => Received == ToReceive && Connection is { State: not (TcpState.SynSent or TcpState.SynReceived) };
        public bool Finished => Received == ToReceive && Connection is { IsReceiveComplete: true } && _closed && Sent == ToSend;

        public void Expect(long moreToSend, long moreToReceive)
        {
            ToSend += moreToSend;
            ToReceive += moreToReceive;
        }

        public string? Step(Instant now, string who)
        {
            var c = Connection;
            if (c is null) return null;
            if (c.Error != TcpError.None) return $"{who} connection failed: {c.Error} in {c.State} (sent {Sent}/{ToSend}, received {Received}/{ToReceive})";
            while (Sent < ToSend && c.SendSpace > 0)
            {
                int n = (int)Math.Min(Math.Min(_scratch.Length, c.SendSpace), ToSend - Sent);
                if (verify) outgoing.Fill(Sent, _scratch.AsSpan(0, n));
                Sent += c.Send(_scratch.AsSpan(0, n));
            }
            if (CloseWhenSent && Sent == ToSend && !_closed && c.State is TcpState.Established or TcpState.CloseWait)
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
                if (Received > ToReceive) return $"{who} received {Received} bytes, more than the {ToReceive} sent";
                if (readBytesPerSecond is not null)
                {
                    if (c.BytesAvailable > 0) WakeAt = now + TimeSpan.FromMilliseconds(1); // more to read, later
                    break;
                }
            }
            if (c.IsReceiveComplete && Received != ToReceive) return $"{who} saw the peer's FIN after {Received} of {ToReceive} bytes";
            return null;
        }
    }
}
