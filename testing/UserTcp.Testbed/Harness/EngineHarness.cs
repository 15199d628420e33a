using UserTcp.Fast.Buffers;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;

namespace UserTcp.Testbed.Harness;

/// <summary>
/// One stack on a virtual clock facing a scripted peer: tests inject segments built from header values and read
/// back exactly what the engine sent. Every segment sent must carry a valid checksum (see <see cref="Sent"/>).
/// </summary>
internal sealed class EngineHarness
{
    public static readonly Ipv4Address Local = new(198, 18, 0, 2);
    public static readonly Ipv4Address Remote = new(198, 18, 0, 1);
    public const ushort RemotePort = 80;
    public const uint PeerIss = 1_000_000;

    private readonly List<Sent> _sent = new();

    public EngineHarness(TcpConfig? config = null, uint iss = 5_000)
    {
        Config = config ?? new TcpConfig();
        Stack = new TcpStack(Config, new FixedInitialSequenceNumbers(new SeqNum(iss)), seed: 1);
        Iss = iss;
    }

    public TcpConfig Config { get; }
    public TcpStack Stack { get; }
    public uint Iss { get; }
    public Instant Now { get; private set; } = Instant.FromMilliseconds(1000);
    public TcpConnection? Connection { get; set; }

    /// <summary>Flushes the stack and returns what it sent since the last call.</summary>
    public List<Sent> Flush()
    {
        var writer = new CapturingWriter(_sent);
        Stack.Flush(ref writer, Now);
        var result = new List<Sent>(_sent);
        _sent.Clear();
        return result;
    }

    public Sent FlushSingle()
    {
        var sent = Flush();
        Expect.True(sent.Count == 1, $"expected exactly one segment, got {sent.Count}: {string.Join(", ", sent)}");
        return sent[0];
    }

    public void FlushNothing()
    {
        var sent = Flush();
        Expect.True(sent.Count == 0, $"expected no segment, got: {string.Join(", ", sent)}");
    }

    /// <summary>Moves the virtual clock and runs due timers.</summary>
    public void Advance(TimeSpan by)
    {
        Now += by;
        Stack.OnTimers(Now);
    }

    /// <summary>Moves the virtual clock to the stack's next deadline and runs the timers due then; fails when none is armed.</summary>
    public void AdvanceToNextDeadline()
    {
        var next = Stack.NextDeadline;
        Expect.True(!next.IsNever, "no timer armed");
        Now = next;
        Stack.OnTimers(Now);
    }

    /// <summary>Delivers a segment from the peer. Returns what <see cref="TcpStack.OnSegment"/> returned.</summary>
    public bool Deliver(TcpHeader header, ReadOnlySpan<byte> payload = default, ushort? localPort = null)
    {
        ushort port = localPort ?? Connection?.Tuple.LocalPort ?? throw new InvalidOperationException("no connection and no port");
        header = header with { DestinationPort = port };
        var buffer = new byte[header.Length + payload.Length];
        payload.CopyTo(buffer.AsSpan(header.Length));
        header.Emit(buffer, Remote, Local);
        Expect.Equal(WireStatus.Ok, TcpSegment.TryParse(buffer, out var segment));
        return Stack.OnSegment(Remote, Local, segment, Now);
    }

    /// <summary>
    /// Delivers <paramref name="segments"/> as one receive batch the way the live loop runs it: the stack is flushed at
    /// once whenever a segment's ACK cannot wait (the interface does that on <see cref="TcpStack.OnSegment"/>'s answer),
    /// then <paramref name="application"/> runs (the loop's turn callback, where the stream pump reads), then the batch's
    /// flush. Returns everything the engine sent, in order: what the peer would see.
    /// </summary>
    public List<Sent> DeliverBatch(IEnumerable<(TcpHeader Header, byte[] Payload)> segments, Action? application = null)
    {
        var sent = new List<Sent>();
        foreach (var (header, payload) in segments)
            if (Deliver(header, payload)) sent.AddRange(Flush());
        application?.Invoke();
        sent.AddRange(Flush());
        return sent;
    }

    /// <summary>A data segment from the peer at byte <paramref name="offset"/> of its stream, with a fresh timestamp.</summary>
    public (TcpHeader Header, byte[] Payload) PeerData(int offset, int length, TcpFlags flags = TcpFlags.Ack)
    {
        PeerTimestamp++;
        return (Peer(PeerSeq(offset), OurSeq(0), flags, options: PeerTimestampOption()), new byte[length]);
    }

    /// <summary>A peer segment template: ports right, ACK set.</summary>
    public TcpHeader Peer(uint seq, uint ack, TcpFlags flags = TcpFlags.Ack, ushort window = 65535, TcpOptions options = default) =>
        new(RemotePort, Connection?.Tuple.LocalPort ?? 0, seq, ack, flags, window) { Options = options };

    /// <summary>Active open with the usual Linux SYN-ACK (MSS 1460, SACK, timestamps, wscale 7); returns the ESTABLISHED connection.</summary>
    public TcpConnection Establish(bool sack = true, bool timestamps = true, byte? windowScale = 7, ushort mss = 1460, uint peerIss = PeerIss)
    {
        PeerIssUsed = peerIss;
        Connection = Stack.Connect(Local, Remote, RemotePort, Now);
        var syn = FlushSingle();
        syn.Check(TcpCheck.Flags(TcpFlags.Syn));
        var options = new TcpOptions { MaximumSegmentSize = mss, SackPermitted = sack, WindowScale = windowScale };
        if (timestamps) options.Timestamps = new TcpTimestamps(PeerTimestamp, syn.Options.Timestamps!.Value.Value);
        Advance(TimeSpan.FromMilliseconds(1)); // a 1 ms round trip
        Deliver(Peer(peerIss, Iss + 1, TcpFlags.Syn | TcpFlags.Ack, 65535, options));
        var ack = FlushSingle();
        ack.Check(TcpCheck.Flags(TcpFlags.Ack));
        Expect.Equal(TcpState.Established, Connection.State);
        return Connection;
    }

    public uint PeerIssUsed { get; private set; } = PeerIss;
    /// <summary>Sequence number of the peer's data byte <paramref name="offset"/> (0 = first byte after its SYN).</summary>
    public uint PeerSeq(int offset) => unchecked(PeerIssUsed + 1 + (uint)offset);
    /// <summary>Sequence number of our data byte <paramref name="offset"/>.</summary>
    public uint OurSeq(int offset) => unchecked(Iss + 1 + (uint)offset);

    /// <summary>Timestamp value the scripted peer sends (monotonic so PAWS accepts it).</summary>
    public uint PeerTimestamp { get; set; } = 777;

    public TcpOptions PeerTimestampOption(uint echo = 0) => new() { Timestamps = new TcpTimestamps(PeerTimestamp, echo) };

    private readonly struct CapturingWriter(List<Sent> sink) : ITcpSegmentWriter
    {
        public readonly bool TakesPayloadByReference => false;
        public readonly void Commit(int headerLength, int segmentSize, in SegmentPayload payload) => throw new NotSupportedException("payloads are copied into this writer's buffer");
        private readonly byte[] _buffer = new byte[65536];
        private readonly Ipv4Address[] _addresses = new Ipv4Address[2];

        public Span<byte> Begin(Ipv4Address source, Ipv4Address destination)
        {
            _addresses[0] = source;
            _addresses[1] = destination;
            return _buffer;
        }

        public void Commit(int segmentLength, int segmentSize)
        {
            if (segmentLength == 0) return;
            Expect.Equal(Local, _addresses[0]);
            sink.Add(new Sent(_buffer.AsSpan(0, segmentLength), _addresses[0], _addresses[1]));
        }
    }
}
