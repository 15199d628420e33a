using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

/// <summary>Values of an ARP packet to emit.</summary>
public readonly record struct ArpMessage(
    ArpOperation Operation,
    MacAddress SenderHardwareAddress,
    Ipv4Address SenderProtocolAddress,
    MacAddress TargetHardwareAddress,
    Ipv4Address TargetProtocolAddress)
{
    public int Emit(Span<byte> packet)
    {
        BinaryPrimitives.WriteUInt32BigEndian(packet, 0x0001_0800);
        BinaryPrimitives.WriteUInt16BigEndian(packet[4..], 0x0604);
        BinaryPrimitives.WriteUInt16BigEndian(packet[6..], (ushort)Operation);
        SenderHardwareAddress.Write(packet[8..]);
        SenderProtocolAddress.Write(packet[14..]);
        TargetHardwareAddress.Write(packet[18..]);
        TargetProtocolAddress.Write(packet[24..]);
        return ArpPacket.Length;
    }
}
