namespace UserTcp.Fast.Wire;

public enum EtherType : ushort
{
    Ipv4 = 0x0800,
    Arp = 0x0806,
    Vlan = 0x8100,
    Ipv6 = 0x86DD,
}
