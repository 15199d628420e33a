using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

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
    /// <summary>Next-hop MTU of a "fragmentation needed" (type 3 code 4, RFC 1191 §4); 0 from a router older than RFC 1191.</summary>
    public ushort NextHopMtu => BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]);
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
