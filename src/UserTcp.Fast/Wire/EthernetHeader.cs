using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

/// <summary>Values of an Ethernet II header to emit. <see cref="VlanId"/> adds one 802.1Q tag (priority 0).</summary>
public readonly record struct EthernetHeader(MacAddress Destination, MacAddress Source, EtherType EtherType, ushort? VlanId = null)
{
    public int Length => VlanId is null ? EthernetFrame.HeaderLength : EthernetFrame.HeaderLength + EthernetFrame.VlanTagLength;

    /// <summary>Writes the header at the start of <paramref name="frame"/> and returns its length.</summary>
    public int Emit(Span<byte> frame)
    {
        Destination.Write(frame);
        Source.Write(frame[6..]);
        if (VlanId is { } vlan)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[12..], (ushort)EtherType.Vlan);
            BinaryPrimitives.WriteUInt16BigEndian(frame[14..], (ushort)(vlan & 0x0FFF));
            BinaryPrimitives.WriteUInt16BigEndian(frame[16..], (ushort)EtherType);
            return EthernetFrame.HeaderLength + EthernetFrame.VlanTagLength;
        }
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], (ushort)EtherType);
        return EthernetFrame.HeaderLength;
    }
}
