using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

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

    /// <summary>
    /// Writes the header as <see cref="Emit"/> does but leaves the checksum partial: the folded pseudo-header sum of the whole
    /// segment, which a device that segments it (GSO with NEEDS_CSUM, Linux tcp_gso_segment) adjusts to each piece's length and
    /// completes over each piece's bytes (as Linux's own tcp_v4_send_check leaves it for CHECKSUM_PARTIAL).
    /// <paramref name="segmentLength"/> is the whole segment's (header and payload); the span may hold the header only,
    /// when the payload reaches the device apart from it.
    /// </summary>
    internal int EmitPartial(Span<byte> segment, int segmentLength, Ipv4Address source, Ipv4Address destination)
    {
        int headerLength = WriteHeader(segment);
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], (ushort)InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Tcp, segmentLength));
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
