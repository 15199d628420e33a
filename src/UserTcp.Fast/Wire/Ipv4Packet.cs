using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

/// <summary>Zero-copy view of an IPv4 packet (RFC 791). A successful parse has checked version, IHL, total
/// length against the buffer, and the header checksum; <see cref="Payload"/> excludes Ethernet padding.</summary>
public readonly ref struct Ipv4Packet
{
    public const int MinHeaderLength = 20;
    public const int MaxHeaderLength = 60;
    private const ushort DontFragmentBit = 0x4000;
    private const ushort MoreFragmentsBit = 0x2000;

    private readonly ReadOnlySpan<byte> _packet;

    private Ipv4Packet(ReadOnlySpan<byte> packet, int headerLength)
    {
        _packet = packet;
        HeaderLength = headerLength;
    }

    public int HeaderLength { get; }
    public int TotalLength => _packet.Length;
    public byte TypeOfService => _packet[1];
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_packet[4..]);
    public bool DontFragment => (BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]) & DontFragmentBit) != 0;
    public bool MoreFragments => (BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]) & MoreFragmentsBit) != 0;
    /// <summary>Fragment offset in bytes (the field counts 8-byte units).</summary>
    public int FragmentOffset => (BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]) & 0x1FFF) * 8;
    /// <summary>True for any piece of a fragmented datagram: MF set or a non-zero offset.</summary>
    public bool IsFragment => (BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]) & (MoreFragmentsBit | 0x1FFF)) != 0;
    public byte TimeToLive => _packet[8];
    public IpProtocol Protocol => (IpProtocol)_packet[9];
    public ushort HeaderChecksum => BinaryPrimitives.ReadUInt16BigEndian(_packet[10..]);
    public Ipv4Address Source => Ipv4Address.Read(_packet[12..]);
    public Ipv4Address Destination => Ipv4Address.Read(_packet[16..]);
    public ReadOnlySpan<byte> Options => _packet[MinHeaderLength..HeaderLength];
    public ReadOnlySpan<byte> Payload => _packet[HeaderLength..];

    public Ipv4Header ToHeader() => new(Source, Destination, Protocol, TimeToLive, Identification, DontFragment, TypeOfService)
    {
        MoreFragments = MoreFragments,
        FragmentOffset = FragmentOffset,
    };

    public static WireStatus TryParse(ReadOnlySpan<byte> buffer, out Ipv4Packet view)
    {
        view = default;
        if (buffer.Length < MinHeaderLength) return WireStatus.Truncated;
        byte versionIhl = buffer[0];
        if (versionIhl >> 4 != 4) return WireStatus.BadVersion;
        int headerLength = (versionIhl & 0xF) * 4;
        if (headerLength < MinHeaderLength) return WireStatus.BadHeaderLength;
        if (headerLength > buffer.Length) return WireStatus.Truncated;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        if (totalLength < headerLength) return WireStatus.BadLength;
        // Parse by total length (segmentation offload can make frames larger than the MTU; padding makes them longer).
        if (totalLength > buffer.Length) return WireStatus.Truncated;
        if (!InternetChecksum.IsValid(InternetChecksum.SumHeader(buffer[..headerLength]))) return WireStatus.BadChecksum;
        view = new Ipv4Packet(buffer[..totalLength], headerLength);
        return WireStatus.Ok;
    }
}
