using System.Buffers.Binary;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Frames;

/// <summary>Builds the ICMP destination unreachable a host or router sends about a UDP datagram or TCP segment it could not deliver.</summary>
internal static class IcmpUnreachableFrame
{
    /// <summary>
    /// RFC 792: type 3 with <paramref name="code"/> from <paramref name="reporter"/> (MAC <paramref name="reporterMac"/>) to
    /// <paramref name="sender"/>, quoting the IPv4 header and first 8 bytes of the datagram
    /// <paramref name="sender"/>:<paramref name="sourcePort"/> → <paramref name="destination"/>:<paramref name="destinationPort"/>
    /// (UDP, or with <paramref name="protocol"/> TCP: its first 8 bytes are the ports too, then the sequence number).
    /// </summary>
    /// <param name="sequence">For a TCP quote, the quoted segment's sequence number (bytes 4-7 of the quoted header).</param>
    /// <param name="nextHopMtu">For code 4 (fragmentation needed), the next hop's MTU (RFC 1191 §4: bytes 6-7 of the ICMP header).</param>
    public static byte[] Build(MacAddress reporterMac, Ipv4Address reporter, MacAddress senderMac, Ipv4Address sender, byte code,
                               Ipv4Address destination, ushort sourcePort, ushort destinationPort, IpProtocol protocol = IpProtocol.Udp,
                               uint? sequence = null, ushort nextHopMtu = 0)
    {
        const int quoted = Ipv4Packet.MinHeaderLength + UdpDatagram.HeaderLength;
        var original = new byte[EthernetFrame.HeaderLength + quoted + 40];
        FrameWriter.WriteUdp(original, new EthernetHeader(reporterMac, senderMac, EtherType.Ipv4),
            new Ipv4Header(sender, destination, IpProtocol.Udp), new UdpHeader(sourcePort, destinationPort), new byte[40]);
        original[EthernetFrame.HeaderLength + 9] = (byte)protocol;
        var icmp = new byte[IcmpPacket.HeaderLength + quoted];
        icmp[0] = (byte)IcmpType.DestinationUnreachable;
        icmp[1] = code;
        original.AsSpan(EthernetFrame.HeaderLength, quoted).CopyTo(icmp.AsSpan(IcmpPacket.HeaderLength));
        if (sequence is { } seq) BinaryPrimitives.WriteUInt32BigEndian(icmp.AsSpan(IcmpPacket.HeaderLength + Ipv4Packet.MinHeaderLength + 4), seq);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), nextHopMtu);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), InternetChecksum.Compute(icmp));
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + icmp.Length];
        int offset = new EthernetHeader(senderMac, reporterMac, EtherType.Ipv4).Emit(frame);
        offset += new Ipv4Header(reporter, sender, IpProtocol.Icmp).Emit(frame.AsSpan(offset), icmp.Length);
        icmp.CopyTo(frame.AsSpan(offset));
        return frame;
    }
}
