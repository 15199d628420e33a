namespace UserTcp.Fast.Wire;

/// <summary>Composes whole Ethernet frames from header values, innermost checksum first. Returns the frame length.</summary>
public static class FrameWriter
{
    /// <summary>Ethernet + IPv4 + TCP with <paramref name="payload"/>; TCP and IPv4 checksums computed.</summary>
    public static int WriteTcp(Span<byte> frame, in EthernetHeader ethernet, in Ipv4Header ip, in TcpHeader tcp, ReadOnlySpan<byte> payload)
    {
        int ipOffset = ethernet.Emit(frame);
        int tcpOffset = ipOffset + Ipv4Packet.MinHeaderLength;
        int tcpHeaderLength = tcp.Length;
        int segmentLength = tcpHeaderLength + payload.Length;
        var segment = frame.Slice(tcpOffset, segmentLength);
        payload.CopyTo(segment[tcpHeaderLength..]);
        tcp.Emit(segment, ip.Source, ip.Destination);
        ip.Emit(frame[ipOffset..], segmentLength);
        return tcpOffset + segmentLength;
    }

    /// <summary>Ethernet + IPv4 + UDP with <paramref name="payload"/>.</summary>
    public static int WriteUdp(Span<byte> frame, in EthernetHeader ethernet, in Ipv4Header ip, in UdpHeader udp, ReadOnlySpan<byte> payload)
    {
        int ipOffset = ethernet.Emit(frame);
        int udpOffset = ipOffset + Ipv4Packet.MinHeaderLength;
        var datagram = frame.Slice(udpOffset, UdpDatagram.HeaderLength + payload.Length);
        payload.CopyTo(datagram[UdpDatagram.HeaderLength..]);
        udp.Emit(datagram, ip.Source, ip.Destination);
        ip.Emit(frame[ipOffset..], datagram.Length);
        return udpOffset + datagram.Length;
    }

    /// <summary>Ethernet + IPv4 + ICMP echo request or reply carrying <paramref name="data"/>.</summary>
    public static int WriteIcmpEcho(Span<byte> frame, in EthernetHeader ethernet, in Ipv4Header ip, in IcmpEchoHeader echo, ReadOnlySpan<byte> data)
    {
        int ipOffset = ethernet.Emit(frame);
        int icmpOffset = ipOffset + Ipv4Packet.MinHeaderLength;
        var message = frame.Slice(icmpOffset, IcmpPacket.HeaderLength + data.Length);
        data.CopyTo(message[IcmpPacket.HeaderLength..]);
        echo.Emit(message);
        ip.Emit(frame[ipOffset..], message.Length);
        return icmpOffset + message.Length;
    }

    /// <summary>Ethernet + ARP.</summary>
    public static int WriteArp(Span<byte> frame, in EthernetHeader ethernet, in ArpMessage arp)
    {
        int offset = ethernet.Emit(frame);
        return offset + arp.Emit(frame[offset..]);
    }
}
