namespace UserTcp.Fast.Dns;

/// <summary>Where a lookup stands. Every value after <see cref="Resolved"/> is a failure, explained by <see cref="DnsLookup.Failure"/>.</summary>
internal enum DnsLookupStatus
{
    Pending,
    Resolved,
    /// <summary>The name cannot be carried by a query (RFC 1035 §2.3.4: labels of 1 to 63 bytes, 255 in all).</summary>
    InvalidName,
    /// <summary>No server this stack can reach is configured.</summary>
    NoServers,
    /// <summary>NXDOMAIN (RFC 1035 §4.1.1 RCODE 3; RFC 2308 §2.1): the name does not exist.</summary>
    NameDoesNotExist,
    /// <summary>NOERROR without an A record at the end of the CNAME chain (NODATA, RFC 2308 §2.2).</summary>
    NoAddresses,
    /// <summary>TC set (RFC 1035 §4.1.1) and no address in the part that fit.</summary>
    Truncated,
    /// <summary>Every server stayed silent or failed (SERVFAIL, REFUSED, other RCODEs, ICMP port unreachable).</summary>
    NoAnswer,
    /// <summary>No server could be reached: no ARP reply from the next hop, ICMP host or network unreachable.</summary>
    ServersUnreachable,
    /// <summary>Every server is off the subnet and no gateway is configured.</summary>
    NoRoute,
    /// <summary>No UDP port was free for the query.</summary>
    NoFreePort,
    /// <summary>The owner called <see cref="StubResolver.Cancel"/>.</summary>
    Cancelled,
}
