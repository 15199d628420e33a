namespace UserTcp.Fast.Wire;

public enum IpProtocol : byte
{
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
}
