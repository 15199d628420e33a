using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

/// <summary>Zero-copy view of a UDP datagram (RFC 768). The checksum is checked separately, as a policy.</summary>
public readonly ref struct UdpDatagram
{
    public const int HeaderLength = 8;
    private readonly ReadOnlySpan<byte> _datagram;

    private UdpDatagram(ReadOnlySpan<byte> datagram) => _datagram = datagram;

    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_datagram);
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_datagram[2..]);
    /// <summary>The length field: header plus data.</summary>
    public int Length => _datagram.Length;
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_datagram[6..]);
    public ReadOnlySpan<byte> Payload => _datagram[HeaderLength..];

    public static WireStatus TryParse(ReadOnlySpan<byte> buffer, out UdpDatagram view)
    {
        view = default;
        if (buffer.Length < HeaderLength) return WireStatus.Truncated;
        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer[4..]);
        if (length < HeaderLength) return WireStatus.BadLength;
        if (length > buffer.Length) return WireStatus.Truncated;
        view = new UdpDatagram(buffer[..length]);
        return WireStatus.Ok;
    }

    /// <summary>Checks the pseudo-header checksum; a zero field means the sender sent none (RFC 768).</summary>
    public ChecksumVerdict VerifyChecksum(Ipv4Address source, Ipv4Address destination)
    {
        if (Checksum == 0) return ChecksumVerdict.Absent;
        return InternetChecksum.VerifyTransport(_datagram, Checksum, source, destination, IpProtocol.Udp);
    }
}

/// <summary>Values of a UDP header to emit. The data goes after the 8-byte header.</summary>
public readonly record struct UdpHeader(ushort SourcePort, ushort DestinationPort)
{
    /// <summary>Writes the header in front of data already placed at <c>datagram[8..]</c>; the span's length is the datagram's.
    /// With <paramref name="computeChecksum"/> false the field is zero (no checksum, RFC 768).</summary>
    public int Emit(Span<byte> datagram, Ipv4Address source, Ipv4Address destination, bool computeChecksum = true)
    {
        BinaryPrimitives.WriteUInt16BigEndian(datagram, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[4..], checked((ushort)datagram.Length));
        datagram[6] = 0;
        datagram[7] = 0;
        if (computeChecksum)
        {
            ushort checksum = InternetChecksum.Finish(InternetChecksum.Add(
                InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, datagram.Length), InternetChecksum.Sum(datagram)));
            // A computed zero is sent as all ones, since zero means "no checksum" (RFC 768).
            BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
        }
        return UdpDatagram.HeaderLength;
    }
}
