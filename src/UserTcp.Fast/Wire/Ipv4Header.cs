using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

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
