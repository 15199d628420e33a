using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Checkers;

/// <summary>Checks of an IPv4 header, and of the TCP segment, UDP datagram or ICMP message it carries.</summary>
internal static class Ipv4Check
{
    public static LayerCheck<Ipv4Packet> Source(Ipv4Address expected) => LayerCheck<Ipv4Packet>.Field("IPv4 source", expected, ip => ip.Source);

    public static LayerCheck<Ipv4Packet> Destination(Ipv4Address expected) => LayerCheck<Ipv4Packet>.Field("IPv4 destination", expected, ip => ip.Destination);

    public static LayerCheck<Ipv4Packet> Protocol(IpProtocol expected) => LayerCheck<Ipv4Packet>.Field("IPv4 protocol", expected, ip => ip.Protocol);

    public static LayerCheck<Ipv4Packet> TimeToLive(byte expected) => LayerCheck<Ipv4Packet>.Field("IPv4 TTL", expected, ip => ip.TimeToLive);

    public static LayerCheck<Ipv4Packet> DontFragment(bool expected = true) => LayerCheck<Ipv4Packet>.Field("IPv4 DF", expected, ip => ip.DontFragment);

    /// <summary>The packet carries TCP and the segment passes every one of <paramref name="checks"/>.</summary>
    public static LayerCheck<Ipv4Packet> Tcp(params LayerCheck<TcpSegment>[] checks) => Carrying("TCP", IpProtocol.Tcp, TcpSegment.TryParse, checks);

    /// <summary>The packet carries UDP and the datagram passes every one of <paramref name="checks"/>.</summary>
    public static LayerCheck<Ipv4Packet> Udp(params LayerCheck<UdpDatagram>[] checks) => Carrying("UDP", IpProtocol.Udp, UdpDatagram.TryParse, checks);

    /// <summary>The packet carries ICMP and the message passes every one of <paramref name="checks"/>.</summary>
    public static LayerCheck<Ipv4Packet> Icmp(params LayerCheck<IcmpPacket>[] checks) => Carrying("ICMP", IpProtocol.Icmp, IcmpPacket.TryParse, checks);

    private static LayerCheck<Ipv4Packet> Carrying<TInner>(string inner, IpProtocol protocol, LayerParser<TInner> parse, LayerCheck<TInner>[] checks)
        where TInner : allows ref struct =>
        LayerCheck<Ipv4Packet>.Carrying(inner, ip => Checker.Mismatch("IPv4 protocol", protocol, ip.Protocol), ip => ip.Payload, parse, checks);
}
