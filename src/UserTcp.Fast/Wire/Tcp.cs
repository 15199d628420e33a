using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

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
/// <remarks>
/// Not a <c>readonly</c> struct, unlike the other views, so that <see cref="TryParse"/> can fill the fields of the
/// caller's view in place; every member is <c>readonly</c>. Building the view (options included) in a temporary and
/// copying it out made the CPU re-read, with wide loads, bytes it had just stored field by field: a store-forwarding
/// stall per copy that cost more than parsing the headers (measured in bench, FrameParseBenchmarks).
/// </remarks>
public ref struct TcpSegment
{
    public const int MinHeaderLength = 20;
    public const int MaxHeaderLength = 60;

    private ReadOnlySpan<byte> _segment;
    private int _headerLength;
    private TcpOptions _options;

    public readonly int HeaderLength => _headerLength;
    public readonly ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_segment);
    public readonly ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_segment[2..]);
    public readonly uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_segment[4..]);
    public readonly uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_segment[8..]);
    public readonly TcpFlags Flags => (TcpFlags)(BinaryPrimitives.ReadUInt16BigEndian(_segment[12..]) & 0x1FF);
    /// <summary>The 16-bit window field as sent (unscaled).</summary>
    public readonly ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_segment[14..]);
    public readonly ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_segment[16..]);
    public readonly ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_segment[18..]);
    /// <summary>
    /// The parsed options, by reference so that reading one (<c>segment.Options.Timestamps</c>) does not copy the
    /// whole struct; <c>ref readonly var options = ref segment.Options</c> keeps it at hand without a copy.
    /// </summary>
    [UnscopedRef]
    public readonly ref readonly TcpOptions Options => ref _options;
    public readonly ReadOnlySpan<byte> Payload => _segment[_headerLength..];
    /// <summary>Header and payload: the length that goes into the pseudo-header.</summary>
    public readonly int Length => _segment.Length;
    /// <summary>Sequence space the segment occupies: payload plus one each for SYN and FIN (RFC 9293 §3.4).</summary>
    public readonly int SequenceLength => Payload.Length + ((Flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((Flags & TcpFlags.Fin) != 0 ? 1 : 0);

    public readonly TcpHeader ToHeader() => new(SourcePort, DestinationPort, SequenceNumber, AcknowledgmentNumber, Flags, Window)
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
        if (headerLength > MinHeaderLength)
        {
            var status = TcpOptions.TryParse(segment[MinHeaderLength..headerLength], out view._options);
            if (status != WireStatus.Ok)
            {
                view = default;
                return status;
            }
        }
        view._segment = segment;
        view._headerLength = headerLength;
        return WireStatus.Ok;
    }

    public readonly ChecksumVerdict VerifyChecksum(Ipv4Address source, Ipv4Address destination) =>
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
        // The header's whole words are summed inline; only a payload needs the general (vectorized) sum.
        var payload = segment[headerLength..];
        uint sum = InternetChecksum.Add(InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Tcp, segment.Length),
                                        InternetChecksum.SumHeader(segment[..headerLength]));
        if (!payload.IsEmpty) sum = InternetChecksum.Add(sum, InternetChecksum.Sum(payload));
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], InternetChecksum.Finish(sum));
        return headerLength;
    }

    /// <remarks>Written as whole 32-bit words, like the options: see <see cref="TcpOptions.Emit"/> for why.</remarks>
    private int WriteHeader(Span<byte> segment)
    {
        int headerLength = TcpSegment.MinHeaderLength + Options.Emit(segment[TcpSegment.MinHeaderLength..]);
        uint dataOffsetAndFlags = (uint)(headerLength / 4) << 12 | ((uint)Flags & 0x1FF);
        BinaryPrimitives.WriteUInt32BigEndian(segment, (uint)SourcePort << 16 | DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment[4..], SequenceNumber);
        BinaryPrimitives.WriteUInt32BigEndian(segment[8..], AcknowledgmentNumber);
        BinaryPrimitives.WriteUInt32BigEndian(segment[12..], dataOffsetAndFlags << 16 | Window);
        BinaryPrimitives.WriteUInt32BigEndian(segment[16..], UrgentPointer); // checksum zeroed, urgent pointer
        return headerLength;
    }
}
