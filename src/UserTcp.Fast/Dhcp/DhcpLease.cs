using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Dhcp;

/// <summary>What a DHCPACK granted, with the times the client acts at (RFC 2131 §4.4.5: T1, T2, expiry, counted from the REQUEST).</summary>
internal sealed record DhcpLease
{
    public required Ipv4Address Address { get; init; }
    public required int PrefixLength { get; init; }
    public Ipv4Address? Router { get; init; }
    public IReadOnlyList<Ipv4Address> DnsServers { get; init; } = [];
    public int? Mtu { get; init; }
    /// <summary>The server that granted it (option 54), to which renewals and the RELEASE go.</summary>
    public required Ipv4Address Server { get; init; }
    public required TimeSpan Duration { get; init; }
    public required Instant RenewAt { get; init; }
    public required Instant RebindAt { get; init; }
    public required Instant ExpiresAt { get; init; }

    public override string ToString() =>
        $"{Address}/{PrefixLength} from {Server} for {(ExpiresAt.IsNever ? "ever" : $"{Duration.TotalSeconds:0} s")}"
        + (Router is { } router ? $", router {router}" : "")
        + (DnsServers.Count > 0 ? $", DNS {string.Join(", ", DnsServers)}" : "")
        + (Mtu is { } mtu ? $", MTU {mtu}" : "");
}
