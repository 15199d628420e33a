using UserTcp.Fast.Buffers;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Benchmarks.Tcp;

/// <summary>
/// A client stack with an ESTABLISHED connection to an in-memory server stack, plus segment templates taken from
/// what the server really sent: a full-size data segment and a pure ACK, whose sequence fields are rewritten per use.
/// </summary>
internal sealed class EnginePairFixture
{
    public const int Mss = 1448;
    private static readonly Ipv4Address ClientAddress = new(198, 18, 0, 2), ServerAddress = new(198, 18, 0, 1);

    private readonly TcpStack _client, _server;
    private readonly byte[] _dataTemplate, _ackTemplate;
    private uint _nextServerSeq, _nextAckOfClient;
    private readonly Instant _now = Instant.FromMilliseconds(1000);

    public EnginePairFixture(TcpConfig clientConfig)
    {
        _client = new TcpStack(clientConfig, InitialSequenceNumbers.CreateRandom(), 1);
        _server = new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 2);
        var listener = _server.Listen(80);
        ClientConnection = _client.Connect(ClientAddress, ServerAddress, 80, _now);
        var toServer = new Forwarder(_server, ClientAddress, ServerAddress, _now);
        var toClient = new Forwarder(_client, ServerAddress, ClientAddress, _now);
        _client.Flush(ref toServer, _now);  // SYN
        _server.Flush(ref toClient, _now);  // SYN-ACK
        _client.Flush(ref toServer, _now);  // ACK
        if (!listener.TryAccept(out var server) || ClientConnection.State != TcpState.Established)
            throw new InvalidOperationException("the in-memory handshake did not complete");

        var capture = new Capture();
        server.Send(new byte[Mss]);
        _server.Flush(ref capture, _now);
        _dataTemplate = capture.Last!;
        _nextServerSeq = ReadUInt32(_dataTemplate, 4);
        ClientConnection.Send(new byte[1]);
        _client.Flush(ref toServer, _now);
        server.Receive(new byte[1]);
        _server.Flush(ref capture, _now);   // the server's (quick) ACK of that byte: the ACK template
        _ackTemplate = capture.Last!;
        _nextAckOfClient = ReadUInt32(_ackTemplate, 8);
    }

    public TcpConnection ClientConnection { get; }

    /// <summary>
    /// The next in-order data segment, as the interface hands it over: its sequence number rewritten with the sender's
    /// RFC 1624 checksum update, then parsed and its checksum verified (the IP layer's work), then the engine. Returns the
    /// engine's answer: true when an ACK must leave before the next segment (the loop then flushes; so must the caller).
    /// </summary>
    public bool DeliverNextDataSegment()
    {
        ushort checksum = ReadUInt16(_dataTemplate, ChecksumOffset);
        WriteUInt16(_dataTemplate, ChecksumOffset, InternetChecksum.Update(checksum, ReadUInt32(_dataTemplate, 4), _nextServerSeq));
        WriteUInt32(_dataTemplate, 4, _nextServerSeq);
        _nextServerSeq += Mss;
        TcpSegment.TryParse(_dataTemplate, out var segment);
        if (segment.VerifyChecksum(ServerAddress, ClientAddress) != ChecksumVerdict.Valid)
            throw new InvalidOperationException("the rewritten data segment's checksum does not verify");
        return _client.OnSegment(ServerAddress, ClientAddress, segment, _now);
    }

    /// <summary>The server acknowledges two more client segments.</summary>
    public void DeliverAckOfClientData()
    {
        _nextAckOfClient += 2 * Mss;
        WriteUInt32(_ackTemplate, 8, _nextAckOfClient);
        TcpSegment.TryParse(_ackTemplate, out var segment);
        _client.OnSegment(ServerAddress, ClientAddress, segment, _now);
    }

    /// <summary>Writes the client's pending segments into a reused buffer (dropped); returns how many.</summary>
    public int FlushClient()
    {
        var sink = new Sink();
        return _client.Flush(ref sink, _now);
    }

    private const int ChecksumOffset = 16; // in the TCP header
    private static ushort ReadUInt16(byte[] b, int at) => System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at));
    private static void WriteUInt16(byte[] b, int at, ushort v) => System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), v);
    private static uint ReadUInt32(byte[] b, int at) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));
    private static void WriteUInt32(byte[] b, int at, uint v) => System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);

    private static readonly byte[] SinkBuffer = new byte[65536];

    private readonly struct Sink : ITcpSegmentWriter
    {
        public readonly bool TakesPayloadByReference => false;
        public readonly void Commit(int headerLength, int segmentSize, in SegmentPayload payload) => throw new NotSupportedException("payloads are copied into this writer's buffer");
        public Span<byte> Begin(Ipv4Address source, Ipv4Address destination) => SinkBuffer;
        public void Commit(int segmentLength, int segmentSize) { }
    }

    private sealed class CaptureState
    {
        public byte[]? Last;
    }

    private struct Capture : ITcpSegmentWriter
    {
        public readonly bool TakesPayloadByReference => false;
        public readonly void Commit(int headerLength, int segmentSize, in SegmentPayload payload) => throw new NotSupportedException("payloads are copied into this writer's buffer");
        private CaptureState? _state;
        public readonly byte[]? Last => _state?.Last;
        public Span<byte> Begin(Ipv4Address source, Ipv4Address destination) => SinkBuffer;
        public void Commit(int segmentLength, int segmentSize)
        {
            _state ??= new CaptureState();
            if (segmentLength > 0) _state.Last = SinkBuffer.AsSpan(0, segmentLength).ToArray();
        }
    }

    private readonly struct Forwarder(TcpStack target, Ipv4Address source, Ipv4Address destination, Instant now) : ITcpSegmentWriter
    {
        public readonly bool TakesPayloadByReference => false;
        public readonly void Commit(int headerLength, int segmentSize, in SegmentPayload payload) => throw new NotSupportedException("payloads are copied into this writer's buffer");
        private static readonly byte[] Buffer = new byte[65536];
        public Span<byte> Begin(Ipv4Address s, Ipv4Address d) => Buffer;
        public void Commit(int segmentLength, int segmentSize)
        {
            if (segmentLength == 0) return;
            TcpSegment.TryParse(Buffer.AsSpan(0, segmentLength), out var segment);
            target.OnSegment(source, destination, segment, now);
        }
    }
}
