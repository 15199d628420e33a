using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

/// <summary>Zero-copy view of an ARP packet for IPv4 over Ethernet (RFC 826), the only kind we speak.</summary>
public readonly ref struct ArpPacket
{
    public const int Length = 28;
    private readonly ReadOnlySpan<byte> _packet;

    private ArpPacket(ReadOnlySpan<byte> packet) => _packet = packet;

    public ArpOperation Operation => (ArpOperation)BinaryPrimitives.ReadUInt16BigEndian(_packet[6..]);
    public MacAddress SenderHardwareAddress => MacAddress.Read(_packet[8..]);
    public Ipv4Address SenderProtocolAddress => Ipv4Address.Read(_packet[14..]);
    public MacAddress TargetHardwareAddress => MacAddress.Read(_packet[18..]);
    public Ipv4Address TargetProtocolAddress => Ipv4Address.Read(_packet[24..]);

    public ArpMessage ToMessage() => new(Operation, SenderHardwareAddress, SenderProtocolAddress, TargetHardwareAddress, TargetProtocolAddress);

    public static WireStatus TryParse(ReadOnlySpan<byte> packet, out ArpPacket view)
    {
        view = default;
        if (packet.Length < Length) return WireStatus.Truncated;
        // htype 1 (Ethernet), ptype 0x0800 (IPv4), hlen 6, plen 4.
        if (BinaryPrimitives.ReadUInt32BigEndian(packet) != 0x0001_0800 || BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) != 0x0604)
            return WireStatus.Unsupported;
        ushort operation = BinaryPrimitives.ReadUInt16BigEndian(packet[6..]);
        if (operation is not ((ushort)ArpOperation.Request or (ushort)ArpOperation.Reply)) return WireStatus.BadOperation;
        view = new ArpPacket(packet[..Length]);
        return WireStatus.Ok;
    }
}
