using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Checkers;

/// <summary>Checks of an Ethernet frame's header, and of the ARP message or IPv4 packet it carries.</summary>
internal static class EthernetCheck
{
    public static LayerCheck<EthernetFrame> Source(MacAddress expected) => LayerCheck<EthernetFrame>.Field("Ethernet source", expected, e => e.Source);

    public static LayerCheck<EthernetFrame> Destination(MacAddress expected) => LayerCheck<EthernetFrame>.Field("Ethernet destination", expected, e => e.Destination);

    public static LayerCheck<EthernetFrame> Type(EtherType expected) => LayerCheck<EthernetFrame>.Field("EtherType", expected, e => e.EtherType);

    /// <summary>The frame carries IPv4 and the packet passes every one of <paramref name="checks"/>.</summary>
    public static LayerCheck<EthernetFrame> Ipv4(params LayerCheck<Ipv4Packet>[] checks) =>
        LayerCheck<EthernetFrame>.Carrying("IPv4", e => Checker.Mismatch("EtherType", EtherType.Ipv4, e.EtherType), e => e.Payload, Ipv4Packet.TryParse, checks);

    /// <summary>The frame carries ARP and the message passes every one of <paramref name="checks"/>.</summary>
    public static LayerCheck<EthernetFrame> Arp(params LayerCheck<ArpPacket>[] checks) =>
        LayerCheck<EthernetFrame>.Carrying("ARP", e => Checker.Mismatch("EtherType", EtherType.Arp, e.EtherType), e => e.Payload, ArpPacket.TryParse, checks);
}
