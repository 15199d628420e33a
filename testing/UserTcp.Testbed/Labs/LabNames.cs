using System.Text.RegularExpressions;
using UserTcp.Testbed.Namespaces;

namespace UserTcp.Testbed.Labs;

/// <summary>
/// Every name a lab owns, derived from the lab's name so parallel labs never collide: namespaces <c>P-srv</c> and
/// <c>P-cli</c>, veth ends <c>Ps</c> and <c>Pc</c> (at most 9 characters, within the kernel's 15), nftables table
/// <c>P_loss</c>, in a TAP lab the TAP <c>Pt</c> and the bridge <c>Pb</c>, in a routed lab the router namespace <c>P-rtr</c> with
/// its LAN end <c>Pl</c> (peer of <c>Pc</c>), its remote end <c>Pw</c> (peer of <c>Ps</c>) and its NAT table <c>P_nat</c>, and the
/// state directory <c>/var/lib/usertcp-lab/P</c> (nginx's and dnsmasq's files, the TLS certificate).
/// </summary>
internal sealed partial record LabNames
{
    public const string DefaultName = "lab";
    public const string StateRoot = "/var/lib/usertcp-lab";

    private LabNames(string name) => Name = name;

    public string Name { get; }
    public string ServerNamespace => Name + "-srv";
    public string ClientNamespace => Name + "-cli";
    public string RouterNamespace => Name + "-rtr";
    public string ServerInterface => Name + "s";
    public string ClientInterface => Name + "c";
    public string TapInterface => Name + "t";
    public string BridgeInterface => Name + "b";
    public string RouterLanInterface => Name + "l";
    public string RouterRemoteInterface => Name + "w";
    public string NatTable => Name + "_nat";
    public string LossTable => Name + "_loss";
    public string StackIngressTable => Name + "_stack";
    public string StateDirectory => Path.Combine(StateRoot, Name);
    public string ServerNamespacePath => NetworkNamespace.PathOf(ServerNamespace);
    public string ClientNamespacePath => NetworkNamespace.PathOf(ClientNamespace);
    public string RouterNamespacePath => NetworkNamespace.PathOf(RouterNamespace);

    // What the state directory holds: the lab's description, the web root and nginx's own files.
    internal string StateFile => Path.Combine(StateDirectory, "lab.json");
    internal string WebRoot => Path.Combine(StateDirectory, "www");
    internal string NginxConfigFile => Path.Combine(StateDirectory, "nginx.conf");
    internal string NginxPidFile => Path.Combine(StateDirectory, "nginx.pid");
    internal string NginxErrorLog => Path.Combine(StateDirectory, "error.log");
    internal string DnsmasqPidFile => Path.Combine(StateDirectory, "dnsmasq.pid");
    internal string DnsmasqLog => Path.Combine(StateDirectory, "dnsmasq.log");
    internal string DhcpLeaseFile => Path.Combine(StateDirectory, "dnsmasq.leases");
    internal string CertificateFile => Path.Combine(StateDirectory, "tls", "cert.pem");
    internal string CertificateKeyFile => Path.Combine(StateDirectory, "tls", "key.pem");

    /// <summary>The names of lab <paramref name="name"/>; a <see cref="LabException"/> when the name is not valid.</summary>
    public static LabNames For(string name) => Problem(name) is { } problem ? throw new LabException(problem) : new LabNames(name);

    /// <summary>Why <paramref name="name"/> cannot name a lab, or null when it can.</summary>
    public static string? Problem(string name) =>
        ValidName().IsMatch(name)
            ? null
            : $"--name '{name}' is not a lab name: 1 to 8 characters, lowercase letters and digits, starting with a letter " +
              "(it prefixes namespace and interface names, which the kernel limits to 15 characters)";

    [GeneratedRegex("^[a-z][a-z0-9]{0,7}\\z")]
    private static partial Regex ValidName();
}
