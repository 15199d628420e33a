using System.Text.Json.Serialization;

namespace UserTcp.Cli.Labs;

/// <summary>
/// A running lab as <c>lab up --json</c> and <c>lab status --json</c> print it (snake_case) and as the state directory
/// keeps it (<c>lab.json</c>). <see cref="ClientIp"/> is the address the user-space stack claims on the client veth; the
/// client namespace's kernel holds no IPv4 address, so it never answers (or resets) for it. The server namespace also
/// runs a DNS server (<see cref="DnsServer"/>, dnsmasq) that knows <see cref="HostNames"/> and answers NXDOMAIN for any
/// other name under <see cref="Lab.Domain"/>; nginx serves HTTPS with a self-signed certificate, <see cref="CaCert"/>.
/// </summary>
public sealed record LabInfo(
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
    int DnsmasqPid);

/// <summary>
/// A generated file nginx serves: its length, SHA-256 (lowercase hex) and full URLs: plain (with Content-Length),
/// over HTTPS, and the same bytes with chunked transfer encoding.
/// </summary>
public sealed record LabFile(long Bytes, string Sha256, string Url, string HttpsUrl, string ChunkedUrl);

/// <summary>Source-generated JSON for lab descriptions and counters: no reflection, so the CLI stays trimmable.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(LabInfo))]
[JsonSerializable(typeof(Dictionary<string, long>))]
public sealed partial class LabJsonContext : JsonSerializerContext;
