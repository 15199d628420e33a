namespace UserTcp.Fast.Interface;

/// <summary>Why a destination could not be reached.</summary>
internal enum UnreachableReason
{
    /// <summary>Off the subnet with no gateway configured: nothing was sent.</summary>
    NoRoute,
    /// <summary>The next hop (the destination or the gateway) never answered ARP.</summary>
    NoArpReply,
    /// <summary>ICMP destination unreachable, code 0 (net unreachable), from a router.</summary>
    NetworkUnreachable,
    /// <summary>ICMP destination unreachable with a code other than 0 and 3 (host unreachable, prohibited, ...).</summary>
    HostUnreachable,
    /// <summary>ICMP destination unreachable, code 3: the host is there but nothing listens on the port.</summary>
    PortUnreachable,
}
