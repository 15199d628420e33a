using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Checkers;

/// <summary>Checks of an ARP message (RFC 826).</summary>
internal static class ArpCheck
{
    public static LayerCheck<ArpPacket> Operation(ArpOperation expected) => LayerCheck<ArpPacket>.Field("ARP operation", expected, a => a.Operation);

    public static LayerCheck<ArpPacket> SenderMac(MacAddress expected) => LayerCheck<ArpPacket>.Field("ARP sender MAC", expected, a => a.SenderHardwareAddress);

    public static LayerCheck<ArpPacket> SenderAddress(Ipv4Address expected) => LayerCheck<ArpPacket>.Field("ARP sender address", expected, a => a.SenderProtocolAddress);

    public static LayerCheck<ArpPacket> TargetMac(MacAddress expected) => LayerCheck<ArpPacket>.Field("ARP target MAC", expected, a => a.TargetHardwareAddress);

    public static LayerCheck<ArpPacket> TargetAddress(Ipv4Address expected) => LayerCheck<ArpPacket>.Field("ARP target address", expected, a => a.TargetProtocolAddress);
}
