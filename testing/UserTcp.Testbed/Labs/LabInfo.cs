namespace UserTcp.Testbed.Labs;

/// <summary>
/// A running lab as <c>lab up --json</c> and <c>lab status --json</c> print it (snake_case) and as the state directory
/// keeps it (<c>lab.json</c>). <see cref="ClientIp"/> is the address the user-space stack claims on the client veth; the
/// client namespace's kernel holds no IPv4 address, so it never answers (or resets) for it. The server namespace also
/// runs a DNS server (<see cref="DnsServer"/>, dnsmasq) that knows <see cref="HostNames"/> and answers NXDOMAIN for any
/// other name under <see cref="Lab.Domain"/>; nginx serves HTTPS with a self-signed certificate, <see cref="CaCert"/>.
/// <see cref="ClientIface"/> is always the client's veth end; in a TAP lab (<see cref="StackLink"/> <c>tap</c>) the stack
/// runs on <see cref="TapIface"/> instead, a persistent TAP bridged with that veth end by <see cref="BridgeIface"/>.
/// <see cref="UploadUrl"/> takes PUT/POST bodies and answers with their byte count and SHA-256 (<see cref="UploadSink"/>).
/// </summary>
internal sealed record LabInfo(
    string Name,
    string ServerNetns,
    string ClientNetns,
    string ServerIface,
    string ClientIface,
    string ServerIp,
    string ClientIp,
    int Prefix,
    string ServerMac,
    string ClientMac,
    string BaseUrl,
    Dictionary<string, LabFile> Files,
    bool Offload,
    decimal LossPct,
    decimal LossUpPct,
    string? Rate,
    long? RateBitsPerSecond,
    string StateDir,
    int NginxPid,
    string HttpsBaseUrl,
    string CaCert,
    string DnsServer,
    IReadOnlyList<string> HostNames,
    int DnsmasqPid,
    string UploadUrl,
    int UploadSinkPid)
{
    /// <summary><c>veth</c> (the stack captures on <see cref="ClientIface"/>) or <c>tap</c> (the stack runs on <see cref="TapIface"/>).</summary>
    public string StackLink { get; init; } = "veth";

    /// <summary>The persistent TAP the stack attaches to in a TAP lab; null otherwise.</summary>
    public string? TapIface { get; init; }

    /// <summary>The bridge joining <see cref="TapIface"/> and <see cref="ClientIface"/> in a TAP lab; null otherwise.</summary>
    public string? BridgeIface { get; init; }

    /// <summary>
    /// Where a kernel client of the client namespace (curl in the benchmarks) puts its address for its runs: the veth end,
    /// or in a TAP lab the bridge (an address on a bridge port is never reached).
    /// </summary>
    public string KernelIface => BridgeIface ?? ClientIface;

    /// <summary><c>flat</c>, or <c>routed</c>: then the fields below describe the router and the LAN (null on a flat lab).</summary>
    public string Topology { get; init; } = "flat";

    /// <summary>The router's namespace: LAN end <see cref="RouterLanIface"/>, remote end <see cref="RouterRemoteIface"/>, NAT between them.</summary>
    public string? RouterNetns { get; init; }
    public string? RouterLanIface { get; init; }
    public string? RouterRemoteIface { get; init; }

    /// <summary>The LAN's default gateway (the router's LAN address), also its DHCP and DNS server.</summary>
    public string? Gateway { get; init; }

    /// <summary>The address the client namespace's kernel holds on <see cref="ClientIface"/>, as a laptop holds its own:
    /// <see cref="ClientIp"/> (the stack's static address) and the DHCP range are other addresses of the same LAN.</summary>
    public string? ClientKernelIp { get; init; }

    /// <summary>The addresses the router's DHCP server leases (inclusive) and for how long.</summary>
    public string? DhcpRangeStart { get; init; }
    public string? DhcpRangeEnd { get; init; }
    public int? DhcpLeaseSeconds { get; init; }

    /// <summary>The router's DHCP leases file (dnsmasq's: expiry, MAC, address, hostname, client id per line).</summary>
    public string? DhcpLeaseFile { get; init; }

    /// <summary>The remote network (router to server) and its MTU, smaller than the LAN's: full-size frames toward the
    /// server make the router answer ICMP "fragmentation needed" (RFC 1191).</summary>
    public string? RemoteNetwork { get; init; }
    public int? RemoteMtu { get; init; }

    /// <summary>The router's address on the remote network: the source the server sees for every LAN client (NAT).</summary>
    public string? RouterRemoteIp { get; init; }
}
