using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Interface;

/// <summary>Sees every valid ARP packet the interface receives (the DHCP client's RFC 5227 conflict detection).</summary>
internal interface IArpObserver
{
    void OnArp(ArpOperation operation, Ipv4Address sender, MacAddress senderMac, Ipv4Address target, Instant now);
}
