using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

/// <summary>TCP control bits (RFC 9293 §3.1; ECE/CWR from RFC 3168; NS from RFC 3540).</summary>
[Flags]
public enum TcpFlags : ushort
{
    None = 0,
    Fin = 0x001,
    Syn = 0x002,
    Rst = 0x004,
    Psh = 0x008,
    Ack = 0x010,
    Urg = 0x020,
    Ece = 0x040,
    Cwr = 0x080,
    Ns = 0x100,
}

/// <summary>
/// Zero-copy view of a TCP segment (RFC 9293 §3.1). A successful parse has checked the data offset and every
/// option; the checksum is checked separately with <see cref="VerifyChecksum"/>, because verification is a
/// device policy (offloaded frames carry partial checksums).
/// </summary>
public readonly ref struct TcpSegment
{
    public const int MinHeaderLength = 20;
    public const int MaxHeaderLength = 60;

    private readonly ReadOnlySpan<byte> _segment;
    private readonly TcpOptions _options;

    private TcpSegment(ReadOnlySpan<byte> segment, int headerLength, TcpOptions options)
    {
        _segment = segment;
        HeaderLength = headerLength;
        _options = options;
    }

    public int HeaderLength { get; }
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_segment);
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_segment[2..]);
    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_segment[4..]);
    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_segment[8..]);
    public TcpFlags Flags => (TcpFlags)(BinaryPrimitives.ReadUInt16BigEndian(_segment[12..]) & 0x1FF);
    /// <summary>The 16-bit window field as sent (unscaled).</summary>
    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_segment[14..]);
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_segment[16..]);
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_segment[18..]);
    public TcpOptions Options => _options;
    public ReadOnlySpan<byte> Payload => _segment[HeaderLength..];
    /// <summary>Header and payload: the length that goes into the pseudo-header.</summary>
    public int Length => _segment.Length;
    /// <summary>Sequence space the segment occupies: payload plus one each for SYN and FIN (RFC 9293 §3.4).</summary>
    public int SequenceLength => Payload.Length + ((Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((Flags & TcpFlags.Fin) != 0 ? 1 : 0);

    public TcpHeader ToHeader() => new(SourcePort, DestinationPort, SequenceNumber, AcknowledgmentNumber, Flags, Window)
    {
        UrgentPointer = UrgentPointer,
        Options = _options,
    };

    /// <summary>Parses the segment given as the IPv4 payload (already trimmed to the IP total length).</summary>
    public static WireStatus TryParse(ReadOnlySpan<byte> segment, out TcpSegment view)
    {
        view = default;
        if (segment.Length < MinHeaderLength) return WireStatus.Truncated;
        int headerLength = (segment[12] >> 4) * 4;
        if (headerLength < MinHeaderLength) return WireStatus.BadHeaderLength;
        if (headerLength > segment.Length) return WireStatus.Truncated;
        TcpOptions options = default;
        if (headerLength > MinHeaderLength)
        {
            var status = TcpOptions.TryParse(segment[MinHeaderLength..headerLength], out options);
            if (status != WireStatus.Ok) return status;
        }
        view = new TcpSegment(segment, headerLength, options);
        return WireStatus.Ok;
    }

    public ChecksumVerdict VerifyChecksum(Ipv4Address source, Ipv4Address destination) =>
        InternetChecksum.VerifyTransport(_segment, Checksum, source, destination, IpProtocol.Tcp);
}

/// <summary>Values of a TCP header to emit (RFC 9293 §3.1). Data offset and checksum are computed by <see cref="Emit"/>.</summary>
public readonly record struct TcpHeader(
    ushort SourcePort,
    ushort DestinationPort,
    uint SequenceNumber,
    uint AcknowledgmentNumber,
    TcpFlags Flags,
    ushort Window)
{
    public ushort UrgentPointer { get; init; }
    public TcpOptions Options { get; init; }

    /// <summary>Header length with options (a multiple of 4, 20..60).</summary>
    public int Length => TcpSegment.MinHeaderLength + Options.Length;

    /// <summary>
    /// Writes the header at the start of <paramref name="segment"/>, whose remainder after <see cref="Length"/> is the
    /// payload the caller already placed; the checksum covers the pseudo-header, header and payload. Returns the header length.
    /// </summary>
    public int Emit(Span<byte> segment, Ipv4Address source, Ipv4Address destination)
    {
        int headerLength = WriteHeader(segment);
        uint sum = InternetChecksum.Add(InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Tcp, segment.Length),
                                        InternetChecksum.Sum(segment));
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], InternetChecksum.Finish(sum));
        return headerLength;
    }

    private int WriteHeader(Span<byte> segment)
    {
        int headerLength = TcpSegment.MinHeaderLength + Options.Emit(segment[TcpSegment.MinHeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(segment, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment[2..], DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment[4..], SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(segment[8..], AcknowledgmentNumber);
        BinaryPrimitives.WriteUInt16BigEndian(segment[12..], (ushort)((headerLength / 4) << 12 | ((ushort)Flags & 0x1FF)));
        BinaryPrimitives.WriteUInt16BigEndian(segment[14..], Window);
        BinaryPrimitives.WriteUInt32BigEndian(segment[16..], UrgentPointer); // checksum zeroed, urgent pointer
        return headerLength;
    }
}
