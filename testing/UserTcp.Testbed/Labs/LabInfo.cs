namespace UserTcp.Testbed.Labs;

/// <summary>
/// A running lab as <c>lab up --json</c> and <c>lab status --json</c> print it (snake_case) and as the state directory
/// keeps it (<c>lab.json</c>). <see cref="ClientIp"/> is the address the user-space stack claims on the client veth; the
/// client namespace's kernel holds no IPv4 address, so it never answers (or resets) for it. The server namespace also
/// runs a DNS server (<see cref="DnsServer"/>, dnsmasq) that knows <see cref="HostNames"/> and answers NXDOMAIN for any
/// other name under <see cref="Lab.Domain"/>; nginx serves HTTPS with a self-signed certificate, <see cref="CaCert"/>.
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
    int UploadSinkPid);
