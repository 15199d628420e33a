using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

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
