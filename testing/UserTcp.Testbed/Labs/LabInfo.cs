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
}
