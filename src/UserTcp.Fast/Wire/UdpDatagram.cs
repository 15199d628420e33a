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
