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
    public static LayerCheck<Ipv4Packet> Tcp(params LayerCheck<TcpSegment>[] checks) => new(ip =>
        ip.Protocol != IpProtocol.Tcp ? Checker.Mismatch("IPv4 protocol", IpProtocol.Tcp, ip.Protocol)
            : TcpSegment.TryParse(ip.Payload, out var tcp) is var status && status != WireStatus.Ok ? $"TCP: {status}"
            : Checker.Apply(tcp, checks));

    /// <summary>The packet carries UDP and the datagram passes every one of <paramref name="checks"/>.</summary>
    public static LayerCheck<Ipv4Packet> Udp(params LayerCheck<UdpDatagram>[] checks) => new(ip =>
        ip.Protocol != IpProtocol.Udp ? Checker.Mismatch("IPv4 protocol", IpProtocol.Udp, ip.Protocol)
            : UdpDatagram.TryParse(ip.Payload, out var udp) is var status && status != WireStatus.Ok ? $"UDP: {status}"
            : Checker.Apply(udp, checks));

    /// <summary>The packet carries ICMP and the message passes every one of <paramref name="checks"/>.</summary>
    public static LayerCheck<Ipv4Packet> Icmp(params LayerCheck<IcmpPacket>[] checks) => new(ip =>
        ip.Protocol != IpProtocol.Icmp ? Checker.Mismatch("IPv4 protocol", IpProtocol.Icmp, ip.Protocol)
            : IcmpPacket.TryParse(ip.Payload, out var icmp) is var status && status != WireStatus.Ok ? $"ICMP: {status}"
            : Checker.Apply(icmp, checks));
}
