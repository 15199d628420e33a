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

/// <summary>Values of an IPv4 header to emit. Total length and checksum are computed by <see cref="Emit(Span{byte}, int)"/>.</summary>
public readonly record struct Ipv4Header(
    Ipv4Address Source,
    Ipv4Address Destination,
    IpProtocol Protocol,
    byte TimeToLive = 64,
    ushort Identification = 0,
    bool DontFragment = true,
    byte TypeOfService = 0)
{
    public bool MoreFragments { get; init; }
    /// <summary>Fragment offset in bytes; must be a multiple of 8.</summary>
    public int FragmentOffset { get; init; }

    /// <summary>Writes a header without options and returns its length (20).</summary>
    public int Emit(Span<byte> packet, int payloadLength) => Emit(packet, payloadLength, default);

    /// <summary>Writes a header with <paramref name="options"/> (a multiple of 4 bytes, at most 40) and returns its length.</summary>
    public int Emit(Span<byte> packet, int payloadLength, ReadOnlySpan<byte> options)
    {
        if ((options.Length & 3) != 0 || options.Length > Ipv4Packet.MaxHeaderLength - Ipv4Packet.MinHeaderLength)
            throw new ArgumentException("IPv4 options must be a multiple of 4 bytes, at most 40.", nameof(options));
        int headerLength = Ipv4Packet.MinHeaderLength + options.Length;
        uint totalLength = checked((ushort)(headerLength + payloadLength));
        uint flagsOffset = (DontFragment ? 0x4000u : 0) | (MoreFragments ? 0x2000u : 0) | ((uint)(FragmentOffset / 8) & 0x1FFF);
        // Whole 32-bit words, because the checksum below reads them back as words (see TcpOptions.Emit for why).
        BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)(0x40 | headerLength / 4) << 24 | (uint)TypeOfService << 16 | totalLength);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], (uint)Identification << 16 | flagsOffset);
        BinaryPrimitives.WriteUInt32BigEndian(packet[8..], (uint)TimeToLive << 24 | (uint)Protocol << 16); // checksum zeroed
        Source.Write(packet[12..]);
        Destination.Write(packet[16..]);
        options.CopyTo(packet[Ipv4Packet.MinHeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], InternetChecksum.Finish(InternetChecksum.SumHeader(packet[..headerLength])));
        return headerLength;
    }
}
