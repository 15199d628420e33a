using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

public enum IcmpType : byte
{
    EchoReply = 0,
    DestinationUnreachable = 3,
    EchoRequest = 8,
    TimeExceeded = 11,
}

/// <summary>Zero-copy view of an ICMPv4 message (RFC 792). A successful parse has checked the checksum,
/// which ICMP senders always compute in full.</summary>
public readonly ref struct IcmpPacket
{
    public const int HeaderLength = 8;
    private readonly ReadOnlySpan<byte> _packet;

    private IcmpPacket(ReadOnlySpan<byte> packet) => _packet = packet;

    public IcmpType Type => (IcmpType)_packet[0];
    public byte Code => _packet[1];
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_packet[2..]);
    public bool IsEcho => Type is IcmpType.EchoRequest or IcmpType.EchoReply;
    /// <summary>Echo identifier (meaningful for echo request and reply).</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_packet[4..]);
    /// <summary>Echo sequence number (meaningful for echo request and reply).</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]);
    /// <summary>Bytes after the 8-byte header: echo data, or the offending datagram's header for errors.</summary>
    public ReadOnlySpan<byte> Payload => _packet[HeaderLength..];

    public static WireStatus TryParse(ReadOnlySpan<byte> packet, out IcmpPacket view)
    {
        view = default;
        if (packet.Length < HeaderLength) return WireStatus.Truncated;
        if (!InternetChecksum.IsValid(InternetChecksum.Sum(packet))) return WireStatus.BadChecksum;
        view = new IcmpPacket(packet);
        return WireStatus.Ok;
    }
}

/// <summary>Values of an ICMP echo request or reply header. The data goes after the 8-byte header.</summary>
public readonly record struct IcmpEchoHeader(IcmpType Type, ushort Identifier, ushort SequenceNumber)
{
    /// <summary>Writes the header in front of data already placed at <c>packet[8..]</c>, with the checksum over both.</summary>
    public int Emit(Span<byte> packet)
    {
        packet[0] = (byte)Type;
        packet[1] = 0;
        packet[2] = 0;
        packet[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet[4..], Identifier);
        BinaryPrimitives.WriteUInt16BigEndian(packet[6..], SequenceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], InternetChecksum.Compute(packet));
        return IcmpPacket.HeaderLength;
    }
}
