namespace UserTcp.Fast.Wire;

/// <summary>What a DNS response says about one name: its IPv4 addresses, the CNAME chain that led there, and the TTL.</summary>
internal sealed record DnsAnswer(ushort Id, DnsResponseCode ResponseCode, bool Truncated, IReadOnlyList<Ipv4Address> Addresses,
                               IReadOnlyList<string> Aliases, uint TimeToLiveSeconds);
