using System.Buffers.Binary;

namespace UserTcp.Fast.Wire;

/// <summary>Values of a UDP header to emit. The data goes after the 8-byte header.</summary>
public readonly record struct UdpHeader(ushort SourcePort, ushort DestinationPort)
{
    /// <summary>Writes the header in front of data already placed at <c>datagram[8..]</c>; the span's length is the datagram's.
    /// With <paramref name="computeChecksum"/> false the field is zero (no checksum, RFC 768).</summary>
    public int Emit(Span<byte> datagram, Ipv4Address source, Ipv4Address destination, bool computeChecksum = true)
    {
        BinaryPrimitives.WriteUInt16BigEndian(datagram, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[4..], checked((ushort)datagram.Length));
        datagram[6] = 0;
        datagram[7] = 0;
        if (computeChecksum)
        {
            ushort checksum = InternetChecksum.Finish(InternetChecksum.Add(
                InternetChecksum.PseudoHeaderSum(source, destination, IpProtocol.Udp, datagram.Length), InternetChecksum.Sum(datagram)));
            // A computed zero is sent as all ones, since zero means "no checksum" (RFC 768).
            BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
        }
        return UdpDatagram.HeaderLength;
    }
}
