namespace UserTcp.Fast.Wire;

internal enum DnsRecordType : ushort
{
    A = 1,
    Cname = 5,
    Aaaa = 28,
}
