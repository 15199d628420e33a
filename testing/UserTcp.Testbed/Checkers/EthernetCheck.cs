using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Checkers;

/// <summary>Checks of an Ethernet frame's header, and of the ARP message or IPv4 packet it carries.</summary>
internal static class EthernetCheck
{
    public static LayerCheck<EthernetFrame> Source(MacAddress expected) => LayerCheck<EthernetFrame>.Field("Ethernet source", expected, e => e.Source);

    public static LayerCheck<EthernetFrame> Destination(MacAddress expected) => LayerCheck<EthernetFrame>.Field("Ethernet destination", expected, e => e.Destination);

    public static LayerCheck<EthernetFrame> Type(EtherType expected) => LayerCheck<EthernetFrame>.Field("EtherType", expected, e => e.EtherType);

    /// <summary>The frame carries IPv4 and the packet passes every one of <paramref name="checks"/>.</summary>
    public static LayerCheck<EthernetFrame> Ipv4(params LayerCheck<Ipv4Packet>[] checks) => new(e =>
        e.EtherType != EtherType.Ipv4 ? Checker.Mismatch("EtherType", EtherType.Ipv4, e.EtherType)
            : Ipv4Packet.TryParse(e.Payload, out var ip) is var status && status != WireStatus.Ok ? $"IPv4: {status}"
            : Checker.Apply(ip, checks));

    /// <summary>The frame carries ARP and the message passes every one of <paramref name="checks"/>.</summary>
    public static LayerCheck<EthernetFrame> Arp(params LayerCheck<ArpPacket>[] checks) => new(e =>
        e.EtherType != EtherType.Arp ? Checker.Mismatch("EtherType", EtherType.Arp, e.EtherType)
            : ArpPacket.TryParse(e.Payload, out var arp) is var status && status != WireStatus.Ok ? $"ARP: {status}"
            : Checker.Apply(arp, checks));
}
