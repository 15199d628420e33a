using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Interface;

/// <summary>Addresses and neighbour settings of one interface.</summary>
internal sealed record InterfaceConfig
{
    public required MacAddress MacAddress { get; init; }
    public required Ipv4Address Address { get; init; }
    public required int PrefixLength { get; init; }
    /// <summary>Next hop for destinations off the subnet; null: only on-link destinations are reachable.</summary>
    public Ipv4Address? Gateway { get; init; }
    /// <summary>IP MTU: the largest IPv4 packet we send.</summary>
    public int Mtu { get; init; } = 1500;
    public byte TimeToLive { get; init; } = 64;
    public ChecksumPolicy Checksums { get; init; } = ChecksumPolicy.Auto;
    /// <summary>Whether the link may carry frames from this same host (veth, TAP): see <see cref="ChecksumPolicy.Auto"/>.</summary>
    public bool LinkIsHostLocal { get; init; }
    /// <summary>How long a learned neighbour stays without being refreshed.</summary>
    public TimeSpan ArpEntryLifetime { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>
    /// Linux's neighbour locktime: for this long after a neighbour's MAC was learned, an ARP packet giving it another MAC
    /// is ignored (the first answer wins a race of answers), unless it is gratuitous (sender and target address the
    /// same: an announced move, which Linux accepts at any time).
    /// </summary>
    public TimeSpan ArpLockTime { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan ArpRetryInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>ARP requests before a neighbour is declared unreachable.</summary>
    public int ArpRequests { get; init; } = 3;
    /// <summary>Packets held per unresolved neighbour; more are dropped and counted.</summary>
    public int ArpPendingPackets { get; init; } = 32;
    public int ArpCacheSize { get; init; } = 256;
    /// <summary>
    /// The address is the host kernel's own, shared (host-address mode): the kernel answers ARP and ping for it, and the
    /// stack owns only <see cref="LocalPorts"/> and its listeners' ports, whose segments a firewall keeps from the kernel.
    /// TCP for any other port is the kernel's and is left alone: never reset, never announced.
    /// </summary>
    public bool SharesHostAddress { get; init; }
    /// <summary>The stack's local ports (TCP active opens, DNS queries); null for Linux's default ephemeral range.
    /// Required with <see cref="SharesHostAddress"/>.</summary>
    public PortRange? LocalPorts { get; init; }

    public void Validate()
    {
        if (PrefixLength is < 0 or > 32) throw new ArgumentOutOfRangeException(nameof(PrefixLength), "prefix length is 0..32");
        if (Mtu is < 576 or > 65535) throw new ArgumentOutOfRangeException(nameof(Mtu), "IP MTU is 576..65535");
        if (Gateway is { } gateway && !gateway.IsInSubnet(Address, PrefixLength))
            throw new ArgumentException($"gateway {gateway} is not on {Address}/{PrefixLength}", nameof(Gateway));
        if (SharesHostAddress && LocalPorts is null) throw new ArgumentException("a shared host address needs the stack's own port range", nameof(LocalPorts));
        if (ArpRequests < 1 || ArpPendingPackets < 1 || ArpCacheSize < 1) throw new ArgumentOutOfRangeException(nameof(ArpRequests));
    }
}
