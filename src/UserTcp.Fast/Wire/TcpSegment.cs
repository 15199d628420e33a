using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace UserTcp.Fast.Wire;

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
