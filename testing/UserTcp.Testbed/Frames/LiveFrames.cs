using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Testbed.Frames;

/// <summary>Frames the live-device tests send (the pcap and TAP tests share them).</summary>
internal static class LiveFrames
{
    public const ushort DiscardPort = 9;

    /// <summary>Ethernet + IPv4 + UDP to the discard port, <paramref name="payloadLength"/> bytes of payload.</summary>
    public static byte[] Udp(MacAddress from, MacAddress to, Ipv4Address source, Ipv4Address destination, int payloadLength)
    {
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + UdpDatagram.HeaderLength + payloadLength];
        int length = FrameWriter.WriteUdp(frame, new EthernetHeader(to, from, EtherType.Ipv4), new Ipv4Header(source, destination, IpProtocol.Udp),
            new UdpHeader(40000, DiscardPort), new byte[payloadLength]);
        Expect.Equal(frame.Length, length);
        return frame;
    }

    public static byte[] ArpRequest(MacAddress senderMac, Ipv4Address sender, Ipv4Address target)
    {
        var frame = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        FrameWriter.WriteArp(frame, new EthernetHeader(MacAddress.Broadcast, senderMac, EtherType.Arp),
            new ArpMessage(ArpOperation.Request, senderMac, sender, MacAddress.Zero, target));
        return frame;
    }

    public static byte[] ArpReply(MacAddress senderMac, Ipv4Address sender, MacAddress targetMac, Ipv4Address target)
    {
        var frame = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        FrameWriter.WriteArp(frame, new EthernetHeader(targetMac, senderMac, EtherType.Arp),
            new ArpMessage(ArpOperation.Reply, senderMac, sender, targetMac, target));
        return frame;
    }

    public static MacAddress SourceOf(ReadOnlySpan<byte> frame) => MacAddress.Read(frame[6..]);
}
