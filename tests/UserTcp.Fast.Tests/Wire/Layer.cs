namespace UserTcp.Fast.Tests.Wire;

internal enum Layer
{
    Ethernet,
    Arp,
    Ipv4,
    Tcp,
    Udp,
    Icmp,
}
