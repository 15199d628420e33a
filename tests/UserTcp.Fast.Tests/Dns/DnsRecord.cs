using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Dns;

/// <summary>One resource record of a scripted answer.</summary>
internal sealed record DnsRecord(string Owner, DnsRecordType Type, uint Ttl, Ipv4Address Address = default, string Target = "")
{
    public static DnsRecord A(string owner, Ipv4Address address, uint ttl = 300) => new(owner, DnsRecordType.A, ttl, address);
    public static DnsRecord Cname(string owner, string target, uint ttl = 300) => new(owner, DnsRecordType.Cname, ttl, Target: target);
}
