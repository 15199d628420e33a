using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using UserTcp.Testbed.Namespaces;

namespace UserTcp.Testbed.Labs;

/// <summary>
/// The network lab: a server namespace running nginx (HTTP, HTTPS with a self-signed certificate, and chunked bodies),
/// a DNS server (dnsmasq) and an upload sink (<see cref="UploadSink"/>, port 8080) on 198.18.0.1, and a client namespace whose veth end carries no IPv4 address, for the
/// user-space stack to claim 198.18.0.2 there. Loss is an nftables rule in the server namespace, rate a
/// tbf qdisc on the server's veth; everything is named after the lab (<see cref="LabNames"/>) and described in its state
/// directory. (The C# namespace is <c>Labs</c> so that it does not collide with this class.)
/// </summary>
internal static class Lab
{
    public const string ServerIp = "198.18.0.1";
    public const string ClientIp = "198.18.0.2";
    public const int Prefix = 24;
    public const string BaseUrl = "http://" + ServerIp;
    public const string HttpsBaseUrl = "https://" + ServerIp;
    /// <summary>Under this path nginx serves the same files with chunked transfer encoding instead of Content-Length.</summary>
    public const string ChunkedPrefix = "/chunked/";

    /// <summary>
    /// The lab's DNS zone: .test is reserved for testing (RFC 6761 §6.2), so no real name is ever shadowed. dnsmasq knows
    /// <see cref="ServerName"/> (A), <see cref="AliasName"/> (CNAME to it) and <see cref="ChainedAliasName"/> (CNAME to the
    /// alias: a chain of two), answers NXDOMAIN for every other name in the zone and REFUSED outside it (no upstream).
    /// </summary>
    public const string Domain = "usertcp.test";
    public const string ServerName = "server." + Domain;
    public const string AliasName = "www." + Domain;
    public const string ChainedAliasName = "files." + Domain;
    public static readonly IReadOnlyList<string> HostNames = [ServerName, AliasName, ChainedAliasName];

    /// <summary>
    /// tbf's queue: at most this much waiting time at the rate before tail drop, a bottleneck buffer of the size a real
    /// link has, not a bufferbloated one.
    /// </summary>
    private const string TbfLatency = "10ms";

    /// <summary>
    /// tbf's smallest bucket: one GSO super-packet (64 KiB) with offloads on, so the shaper never has to split one.
    /// Faster rates get 1 ms worth of bytes, enough that timer granularity never caps the rate.
    /// </summary>
    private const long MinimumBurstBytes = 64 * 1024;

    internal static readonly string[] UpTools = ["ip", "nginx", "nft", "tc", "ethtool", "nstat", "sysctl", "openssl", "dnsmasq", "python3"];
    private static readonly TimeSpan DaemonStartDeadline = TimeSpan.FromSeconds(5);

    /// <summary>The client namespace's bind mount (<c>/run/netns/P-cli</c>): setns(2) into it to run the stack there.</summary>
    public static string ClientNamespacePath(string name) => LabNames.For(name).ClientNamespacePath;

    /// <summary>
    /// Makes the lab <paramref name="options"/> describe. A lab that is already up and whole is reconfigured in place (only
    /// the settings that differ are touched; identical options touch nothing); a broken one of this name (state directory
    /// present, namespace or nginx gone) is removed and made again. Whenever a step fails or <paramref name="cancel"/>
    /// fires, everything of the lab is removed: up leaves the lab it describes or none.
    /// </summary>
    public static LabUpResult Up(LabOptions options, Action<string>? progress = null, CancellationToken cancel = default)
    {
        var settings = LabSettings.From(options);
        RequireRootAndTools(UpTools);
        progress ??= _ => { };
        var names = settings.Names;
        var current = TryStatus(names, out string problem);
        if (current is not null && current.Topology != TopologyText(settings.Topology))
        {
            string change = $"topology {current.Topology} -> {TopologyText(settings.Topology)}";
            progress($"removing the {current.Topology} lab first: {change}");
            Down(names);
            return new LabUpResult(RemoveOnFailure(names, () => Create(settings, progress, cancel)), LabUpOutcome.Rebuilt, [change]);
        }
        if (current is not null)
        {
            var (reconfigured, changes) = RemoveOnFailure(names, () => Reconfigure(settings, current, progress, cancel));
            return new LabUpResult(reconfigured, changes.Count == 0 ? LabUpOutcome.Unchanged : LabUpOutcome.Reconfigured, changes);
        }
        if (Directory.Exists(names.StateDirectory))
        {
            progress($"removing the broken lab first: {problem}");
            Down(names);
            return new LabUpResult(RemoveOnFailure(names, () => Create(settings, progress, cancel)), LabUpOutcome.Rebuilt, [problem]);
        }
        if (new[] { names.ServerNamespacePath, names.ClientNamespacePath, names.RouterNamespacePath }.FirstOrDefault(File.Exists) is { } foreign)
        {
            throw new LabException($"{foreign} exists but lab {names.Name} has no state directory ({names.StateDirectory}): it was not " +
                                   $"made by lab up, so up leaves it alone; pick another --name, or remove it (lab down --name {names.Name} would)");
        }
        return new LabUpResult(RemoveOnFailure(names, () => Create(settings, progress, cancel)), LabUpOutcome.Created, []);
    }

    /// <summary>
    /// Removes lab <paramref name="name"/>: every process still inside its namespaces (nginx, a stack that entered the
    /// client namespace), the namespaces (and with them the veth pair, the nftables table and the qdisc) and the state
    /// directory. Returns false when there was nothing to remove.
    /// </summary>
    public static bool Down(string name)
    {
        var names = LabNames.For(name);
        RequireRootAndTools(["ip"]);
        return Down(names);
    }

    /// <summary>The lab's description, checked against the system; a <see cref="LabNotUpException"/> saying what is missing otherwise.</summary>
    public static LabInfo Status(string name)
    {
        var names = LabNames.For(name);
        if (TryStatus(names, out string problem) is { } info) return info;
        throw new LabNotUpException(Directory.Exists(names.StateDirectory)
            ? $"lab {name} is broken: {problem} (lab up --name {name} makes it again, lab down --name {name} removes what is left)"
            : $"lab {name} is not up ({problem})");
    }

    /// <summary>The server namespace's kernel counters (<c>nstat -asz</c>: zeros included, nstat's history untouched), name → value.</summary>
    public static Dictionary<string, long> ServerCounters(string name)
    {
        var names = LabNames.For(name);
        return Counters(name, names.ServerNamespace, names.ServerNamespacePath);
    }

    /// <summary>The client namespace's kernel counters, as <see cref="ServerCounters"/>: a kernel client's own (curl's retransmissions of an upload).</summary>
    public static Dictionary<string, long> ClientCounters(string name)
    {
        var names = LabNames.For(name);
        return Counters(name, names.ClientNamespace, names.ClientNamespacePath);
    }

    private static Dictionary<string, long> Counters(string name, string netns, string path)
    {
        RequireRootAndTools(["ip", "nstat"]);
        if (!File.Exists(path))
            throw new LabNotUpException($"lab {name} is not up: {path} does not exist");
        var counters = new Dictionary<string, long>();
        foreach (string line in Tool.RunIn(netns, ["nstat", "-asz"]).Split('\n'))
        {
            // "#kernel" heads the list; every other line is "Name value rate".
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && !fields[0].StartsWith('#'))
                counters[fields[0]] = long.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        return counters;
    }

    private static LabInfo Create(LabSettings settings, Action<string> progress, CancellationToken cancel)
    {
        if (settings.Topology == LabTopology.Routed) return RoutedLab.Create(settings, progress, cancel);
        var names = settings.Names;
        progress($"creating namespaces {names.ServerNamespace} and {names.ClientNamespace}");
        foreach (string directory in new[] { LabNames.StateRoot, names.StateDirectory, names.WebRoot })
        {
            Directory.CreateDirectory(directory);
            LabFiles.ShareWithNginx(directory);
        }
        NetworkNamespace.Add(names.ServerNamespace);
        NetworkNamespace.Add(names.ClientNamespace);
        // Both ends are created directly inside their namespaces: the pair never exists in the root namespace.
        Tool.Run(["ip", "link", "add", names.ServerInterface, "netns", names.ServerNamespace, "type", "veth",
                  "peer", "name", names.ClientInterface, "netns", names.ClientNamespace]);
        var serverMac = NetworkNamespace.LinkUp(names.ServerNamespace, names.ServerInterface, $"{ServerIp}/{Prefix}");
        // The client end gets no address: the stack claims ClientIp there, and a kernel holding it would reset the stack's connections.
        var clientMac = NetworkNamespace.LinkUp(names.ClientNamespace, names.ClientInterface);
        SetOffload(names, settings.Topology, settings.Offload);
        if (settings.StackLink == LabStackLink.Tap) AddTapLink(names);
        SetStackIngressDrop(names, settings.StackLink == LabStackLink.Veth ? ClientIp : null);
        if (settings.LossHundredths > 0 || settings.LossUpHundredths > 0) SetLoss(names, settings.LossHundredths, settings.LossUpHundredths);
        if (settings.Rate is { } rate) SetRate(names, settings.Topology, rate);
        var files = LabFiles.Sync(names.WebRoot, names.StateDirectory, settings.Files, new Dictionary<string, LabFile>(), ServerIp, progress, cancel);
        MakeCertificate(names, ServerIp);
        progress("starting nginx, dnsmasq and the upload sink");
        int nginxPid = StartNginx(names, ServerIp);
        int dnsmasqPid = StartDnsmasq(names);
        int uploadSinkPid = UploadSink.Start(names, ServerIp);
        var info = WithStackLink(new LabInfo(
            names.Name, names.ServerNamespace, names.ClientNamespace, names.ServerInterface, names.ClientInterface,
            ServerIp, ClientIp, Prefix, serverMac.ToString(), clientMac.ToString(),
            BaseUrl, files, settings.Offload, LabSettings.Percent(settings.LossHundredths), LabSettings.Percent(settings.LossUpHundredths),
            settings.Rate?.ToString(), settings.Rate?.BitsPerSecond, names.StateDirectory, nginxPid,
            HttpsBaseUrl, names.CertificateFile, ServerIp, HostNames, dnsmasqPid, UploadSink.BaseUrl + UploadSink.UploadPath, uploadSinkPid), names, settings.StackLink);
        Save(names, info);
        return info;
    }

    /// <summary>
    /// Brings a whole lab in line with <paramref name="settings"/>, touching only what differs, and lists the changes. Files
    /// are always checked, so one deleted by hand comes back.
    /// </summary>
    private static (LabInfo, List<string>) Reconfigure(LabSettings settings, LabInfo current, Action<string> progress, CancellationToken cancel)
    {
        var names = settings.Names;
        var changes = new List<string>();
        if (current.Offload != settings.Offload)
        {
            changes.Add($"offload {OnOff(current.Offload)} -> {OnOff(settings.Offload)}");
            SetOffload(names, settings.Topology, settings.Offload);
        }
        decimal loss = LabSettings.Percent(settings.LossHundredths), lossUp = LabSettings.Percent(settings.LossUpHundredths);
        if (current.LossPct != loss) changes.Add($"loss {PercentText(current.LossPct)} -> {PercentText(loss)}");
        if (current.LossUpPct != lossUp) changes.Add($"loss-up {PercentText(current.LossUpPct)} -> {PercentText(lossUp)}");
        if (current.LossPct != loss || current.LossUpPct != lossUp) SetLoss(names, settings.LossHundredths, settings.LossUpHundredths);
        if (current.RateBitsPerSecond != settings.Rate?.BitsPerSecond)
        {
            changes.Add($"rate {current.Rate ?? "unlimited"} -> {settings.Rate?.ToString() ?? "unlimited"}");
            SetRate(names, settings.Topology, settings.Rate);
        }
        if (current.StackLink != StackLinkText(settings.StackLink))
        {
            changes.Add($"stack-link {current.StackLink} -> {StackLinkText(settings.StackLink)}");
            if (settings.StackLink == LabStackLink.Tap) AddTapLink(names);
            else RemoveTapLink(names);
        }
        // Also on a lab made before the drop existed.
        if (settings.Topology == LabTopology.Routed) RoutedLab.SetStackIngressDrop(names);
        else SetStackIngressDrop(names, settings.StackLink == LabStackLink.Veth ? ClientIp : null);
        var files = LabFiles.Sync(names.WebRoot, names.StateDirectory, settings.Files, current.Files, current.ServerIp, progress, cancel);
        string currentFiles = string.Join(',', current.Files.Keys), wantedFiles = string.Join(',', files.Keys);
        if (currentFiles != wantedFiles) changes.Add($"files {currentFiles} -> {wantedFiles}");
        if (changes.Count == 0) return (current, changes);
        var info = WithStackLink(current with
        {
            Files = files,
            Offload = settings.Offload,
            LossPct = loss,
            LossUpPct = lossUp,
            Rate = settings.Rate?.ToString(),
            RateBitsPerSecond = settings.Rate?.BitsPerSecond,
        }, names, settings.StackLink);
        Save(names, info);
        return (info, changes);
    }

    internal static string PercentText(decimal percent) => percent.ToString(CultureInfo.InvariantCulture) + "%";

    /// <summary>The topology as <see cref="LabInfo.Topology"/> and <c>--topology</c> spell it.</summary>
    internal static string TopologyText(LabTopology topology) => topology == LabTopology.Routed ? "routed" : "flat";

    /// <summary>Runs <paramref name="make"/>; on any failure removes the whole lab, then reports the failure (cancellation stays a cancellation).</summary>
    private static T RemoveOnFailure<T>(LabNames names, Func<T> make)
    {
        try
        {
            return make();
        }
        catch (Exception failure)
        {
            try
            {
                Down(names);
            }
            catch (Exception teardown)
            {
                throw new LabException($"{failure.Message}\nremoving the half-made lab {names.Name} failed too: {teardown.Message}", failure);
            }
            if (failure is OperationCanceledException) throw;
            throw new LabException($"{failure.Message}\n(lab {names.Name} was removed: up leaves a whole lab or none)", failure);
        }
    }

    private static bool Down(LabNames names)
    {
        bool existed = false;
        // nginx first, by its pid file: it may outlive a namespace someone deleted by hand.
        string pidFile = names.NginxPidFile;
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile), out int nginxPid))
        {
            LabProcesses.Terminate(() => LabProcesses.IsNginxWith(nginxPid, names.NginxConfigFile) ? [nginxPid] : [], $"nginx of lab {names.Name}");
        }
        UploadSink.Stop(names);
        foreach (string netns in new[] { names.ServerNamespace, names.ClientNamespace, names.RouterNamespace })
            existed |= NetworkNamespace.Remove(netns);
        if (Directory.Exists(names.StateDirectory))
        {
            existed = true;
            Directory.Delete(names.StateDirectory, recursive: true);
        }
        return existed;
    }

    /// <summary>The lab's description when it is up and whole; otherwise null and what is missing.</summary>
    private static LabInfo? TryStatus(LabNames names, out string problem)
    {
        string stateFile = names.StateFile;
        if (!Directory.Exists(names.StateDirectory))
        {
            problem = $"no state directory {names.StateDirectory}";
            return null;
        }
        LabInfo? info;
        try
        {
            info = JsonSerializer.Deserialize(File.ReadAllText(stateFile), LabJsonContext.Default.LabInfo);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            info = null;
        }
        problem =
            info is null ? $"{stateFile} is missing or unreadable (an interrupted up?)" :
            !File.Exists(names.ServerNamespacePath) ? $"namespace {names.ServerNamespace} is gone" :
            !File.Exists(names.ClientNamespacePath) ? $"namespace {names.ClientNamespace} is gone" :
            info.RouterNetns is not null && !File.Exists(names.RouterNamespacePath) ? $"namespace {names.RouterNamespace} is gone" :
            !LabProcesses.IsNginxWith(info.NginxPid, names.NginxConfigFile) ? $"its nginx (pid {info.NginxPid}) is not running" :
            !LabProcesses.IsDnsmasqWith(info.DnsmasqPid, names.DnsmasqPidFile) ? $"its dnsmasq (pid {info.DnsmasqPid}) is not running" :
            info.TapIface is { } tap && !IsTapBridged(names, tap) ? $"its TAP {tap} is gone or not in bridge {names.BridgeInterface}" :
            !UploadSink.IsRunning(names, info.UploadSinkPid) ? $"its upload sink (pid {info.UploadSinkPid}) is not running" :
            "";
        return problem.Length == 0 ? info : null;
    }

    private static string OnOff(bool on) => on ? "on" : "off";

    private static string StackLinkText(LabStackLink link) => link == LabStackLink.Tap ? "tap" : "veth";

    private static LabInfo WithStackLink(LabInfo info, LabNames names, LabStackLink link) => link == LabStackLink.Tap
        ? info with { StackLink = StackLinkText(link), TapIface = names.TapInterface, BridgeIface = names.BridgeInterface }
        : info with { StackLink = StackLinkText(link), TapIface = null, BridgeIface = null };

    /// <summary>
    /// The TAP lab's client side: a persistent TAP (it outlives the stacks that attach to it, one after the other) and a
    /// bridge holding it and the veth end, neither with an IPv4 address, so the stack's frames reach the server exactly as
    /// over the veth alone. STP stays off and the forward delay is 0: a port forwards as soon as it has a carrier, which a
    /// TAP has while a process is attached. The TAP has no offloads towards its reader (no IFF_VNET_HDR): the kernel
    /// segments and checksums what the bridge forwards to it. Deleting the namespace deletes both.
    /// </summary>
    private static void AddTapLink(LabNames names)
    {
        string netns = names.ClientNamespace, bridge = names.BridgeInterface, tap = names.TapInterface;
        Tool.RunIn(netns, ["ip", "tuntap", "add", "dev", tap, "mode", "tap"]);
        Tool.Run(["ip", "-n", netns, "link", "add", bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
        foreach (string port in new[] { names.ClientInterface, tap })
            Tool.Run(["ip", "-n", netns, "link", "set", port, "master", bridge, "up"]);
        Tool.Run(["ip", "-n", netns, "link", "set", bridge, "up"]);
        // Bridged frames skip the namespace's IP and ARP hooks (br_netfilter's, when the kernel has it, on by default):
        // the bridge is a plain switch with no rules to apply, and the hooks took a tenth of the samples of a TAP download's
        // profile, on whichever core sent the frame (libvirt turns them off on guest bridges for the same reason).
        if (Tool.TryRun(["ip", "netns", "exec", netns, "test", "-e", "/proc/sys/net/bridge/bridge-nf-call-iptables"]).ExitCode == 0)
            Tool.RunIn(netns, ["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0", "net.bridge.bridge-nf-call-arptables=0"]);
    }

    /// <summary>Back to a veth lab: the TAP and the bridge go (the veth end leaves the bridge with it and stays up).</summary>
    private static void RemoveTapLink(LabNames names)
    {
        foreach (string device in new[] { names.TapInterface, names.BridgeInterface })
            Tool.Run(["ip", "-n", names.ClientNamespace, "link", "del", device]);
    }

    /// <summary>Whether <paramref name="tap"/> still exists in the client namespace as a port of the lab's bridge.</summary>
    private static bool IsTapBridged(LabNames names, string tap) =>
        Tool.TryRun(["ip", "-n", names.ClientNamespace, "-br", "link", "show", "master", names.BridgeInterface]) is (0, var output, _)
        && output.Split('\n').Any(line => line.Split(' ', 2)[0] == tap);

    /// <summary>The offloads of every veth end of the lab: both ends of each link, the router's too in a routed lab.</summary>
    internal static void SetOffload(LabNames names, LabTopology topology, bool on)
    {
        string value = OnOff(on);
        (string, string)[] ends = topology == LabTopology.Routed
            ? [(names.ServerNamespace, names.ServerInterface), (names.ClientNamespace, names.ClientInterface),
               (names.RouterNamespace, names.RouterLanInterface), (names.RouterNamespace, names.RouterRemoteInterface)]
            : [(names.ServerNamespace, names.ServerInterface), (names.ClientNamespace, names.ClientInterface)];
        foreach (var (netns, device) in ends)
            Tool.RunIn(netns, ["ethtool", "-K", device, "tso", value, "gso", value, "gro", value, "tx", value, "rx", value]);
    }

    /// <summary>
    /// On a veth lab, the client namespace's kernel drops IPv4 for the stack's address at the veth's ingress hook, which runs
    /// after the packet taps (the stack's capture has its copy by then): without it the kernel routed every such frame only
    /// to drop it (ip_rcv, ip_route_input_slow with a dst allocated and freed per frame, ip_error, counted as
    /// IpInAddrErrors), about 12 % of a download's samples with offloads off, in the stack's own softirq time (measured, 5
    /// alternating pairs offloads off: 1.26 s of CPU per GiB with the drop, 1.65 without). A kernel client on another
    /// address (198.18.0.3) is not affected. Not on a TAP lab, where the veth end is a bridge port that must forward those
    /// frames to the TAP.
    /// </summary>
    internal static void SetStackIngressDrop(LabNames names, string? stackAddresses)
    {
        var script = new System.Text.StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"table netdev {names.StackIngressTable}")
            .AppendLine(CultureInfo.InvariantCulture, $"delete table netdev {names.StackIngressTable}");
        if (stackAddresses is not null)
            script.AppendLine(CultureInfo.InvariantCulture, $"table netdev {names.StackIngressTable} {{")
                .AppendLine(CultureInfo.InvariantCulture, $"  chain ingress {{ type filter hook ingress device \"{names.ClientInterface}\" priority filter; policy accept; ip daddr {stackAddresses} drop; }}")
                .AppendLine("}");
        Tool.RunIn(names.ClientNamespace, ["nft", "-f", "-"], script.ToString());
    }

    /// <summary>
    /// Replaces the lab's loss table in one nftables transaction ("add; delete; add" also works when it does not exist yet).
    /// <c>numgen random mod 10000</c> gives a resolution of 0.01 %. Only IPv4 is filtered, so ARP is never lost. The output
    /// hook sees packets before segmentation: with offloads on, one drop is a whole GSO super-frame, which is exactly one
    /// frame on the client's side of the veth.
    /// </summary>
    internal static void SetLoss(LabNames names, int downHundredths, int upHundredths)
    {
        var script = new System.Text.StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"table ip {names.LossTable}")
            .AppendLine(CultureInfo.InvariantCulture, $"delete table ip {names.LossTable}");
        if (downHundredths > 0 || upHundredths > 0)
        {
            script.AppendLine(CultureInfo.InvariantCulture, $"table ip {names.LossTable} {{");
            if (downHundredths > 0)
                script.AppendLine(CultureInfo.InvariantCulture, $"  chain down {{ type filter hook output priority filter; policy accept; oifname \"{names.ServerInterface}\" {RandomDrop(downHundredths)}; }}");
            if (upHundredths > 0)
                script.AppendLine(CultureInfo.InvariantCulture, $"  chain up {{ type filter hook input priority filter; policy accept; iifname \"{names.ServerInterface}\" {RandomDrop(upHundredths)}; }}");
            script.AppendLine("}");
        }
        Tool.RunIn(names.ServerNamespace, ["nft", "-f", "-"], script.ToString());
    }

    /// <summary>Drops <paramref name="hundredths"/> of 10000 packets, counting them; nft refuses "&lt; 10000" after "mod 10000", so 100 % drops unconditionally.</summary>
    private static string RandomDrop(int hundredths) =>
        hundredths < 10000 ? $"numgen random mod 10000 < {hundredths} counter drop" : "counter drop";

    /// <summary>The rate on the server's egress; in a routed lab also on the router's egress toward the server (the remote link, both ways).</summary>
    internal static void SetRate(LabNames names, LabTopology topology, LabRate? rate)
    {
        (string, string)[] egresses = topology == LabTopology.Routed
            ? [(names.ServerNamespace, names.ServerInterface), (names.RouterNamespace, names.RouterRemoteInterface)]
            : [(names.ServerNamespace, names.ServerInterface)];
        foreach (var (netns, device) in egresses)
        {
            string[] qdisc = ["tc", "-n", netns, "qdisc"];
            // Never a tbf changed in place: it keeps its queue, and a GSO packet queued under a larger burst that exceeds the
            // new one never leaves (tbf_dequeue never gathers the tokens), so the link stalled for good, ARP with it (the
            // soak saw it going from 1 Gbit/s to 200 Mbit/s). A new tbf starts empty; what the old one held is lost.
            if (Tool.Run([.. qdisc, "show", "dev", device, "root"]).Contains("tbf", StringComparison.Ordinal))
                Tool.Run([.. qdisc, "del", "dev", device, "root"]);
            if (rate is { BitsPerSecond: var bits })
            {
                long burst = Math.Max(MinimumBurstBytes, bits / 8 / 1000);
                Tool.Run([.. qdisc, "add", "dev", device, "root", "tbf",
                          "rate", $"{bits}bit", "burst", burst.ToString(CultureInfo.InvariantCulture), "latency", TbfLatency]);
            }
        }
    }

    internal static int StartNginx(LabNames names, string serverIp)
    {
        string dir = names.StateDirectory;
        string temp = Path.Combine(dir, "temp");
        File.WriteAllText(names.NginxConfigFile, $$"""
            # Written by `usertcp lab up` for lab {{names.Name}}; removed by `usertcp lab down`.
            worker_processes auto;
            pid {{names.NginxPidFile}};
            error_log {{names.NginxErrorLog}} warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                keepalive_timeout 65s;
                keepalive_requests 10000;
                default_type application/octet-stream;
                client_body_temp_path {{temp}};
                proxy_temp_path {{temp}};
                fastcgi_temp_path {{temp}};
                uwsgi_temp_path {{temp}};
                scgi_temp_path {{temp}};
                server {
                    listen {{serverIp}}:80;
                    listen {{serverIp}}:443 ssl;
                    ssl_certificate {{names.CertificateFile}};
                    ssl_certificate_key {{names.CertificateKeyFile}};
                    root {{names.WebRoot}};
                    # nginx sends a static file with Content-Length; a body filter makes it send the same bytes chunked
                    # (HTTP/1.1 §7.1). The pattern never occurs in the generated files (2^-128 per position), so nothing
                    # is replaced.
                    location {{ChunkedPrefix}} {
                        alias {{names.WebRoot}}/;
                        sub_filter_types *;
                        sub_filter '{{ChunkedFilterPattern}}' '';
                    }
                }
            }

            """);
        Tool.RunIn(names.ServerNamespace, ["nginx", "-p", dir + "/", "-e", names.NginxErrorLog, "-c", names.NginxConfigFile]);
        return AwaitDaemon("nginx", names.NginxPidFile, names.NginxErrorLog, pid => LabProcesses.IsNginxWith(pid, names.NginxConfigFile));
    }

    /// <summary>
    /// The pid of a daemon just started: nginx and dnsmasq bind their sockets before they daemonize, so a zero exit means
    /// they listen; the pid file follows from the daemon. A <see cref="LabException"/> with its log if it does not come up.
    /// </summary>
    internal static int AwaitDaemon(string what, string pidFile, string log, Func<int, bool> isIt)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < DaemonStartDeadline)
        {
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile), out int pid) && isIt(pid)) return pid;
            Thread.Sleep(20);
        }
        string text = File.Exists(log) ? File.ReadAllText(log).Trim() : "(no log)";
        throw new LabException($"{what} did not come up within {DaemonStartDeadline.TotalSeconds:0} s; {log}:\n{text}");
    }

    /// <summary>A random-looking 16-character pattern for the chunked location's no-op filter (sub_filter matches case-insensitively).</summary>
    private const string ChunkedFilterPattern = "q7Zx0vK2mW9rJ4tB";

    /// <summary>
    /// A self-signed certificate for nginx's HTTPS listener, valid for the server's address and every lab name (clients
    /// check the subject alternative names), fresh for each lab: a client trusts it through <see cref="LabInfo.CaCert"/>.
    /// </summary>
    internal static void MakeCertificate(LabNames names, string serverIp)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(names.CertificateFile)!);
        string alternativeNames = string.Join(',', HostNames.Select(name => "DNS:" + name).Append("IP:" + serverIp));
        Tool.Run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "30",
                  "-subj", $"/CN=usertcp lab {names.Name}", "-addext", "subjectAltName=" + alternativeNames,
                  "-keyout", names.CertificateKeyFile, "-out", names.CertificateFile]);
        LabFiles.ShareWithNginx(names.CertificateFile);
    }

    /// <summary>
    /// dnsmasq on the server's address, authoritative for the lab zone only: no upstream servers, no /etc/hosts, no
    /// configuration file, so it never sends a query anywhere and nothing of the host leaks in.
    /// </summary>
    private static int StartDnsmasq(LabNames names)
    {
        Tool.RunIn(names.ServerNamespace, [
            "dnsmasq", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
            $"--listen-address={ServerIp}", $"--pid-file={names.DnsmasqPidFile}", $"--log-facility={names.DnsmasqLog}",
            "--user=nobody", "--group=nogroup", $"--local=/{Domain}/", $"--host-record={ServerName},{ServerIp}",
            $"--cname={AliasName},{ServerName}", $"--cname={ChainedAliasName},{AliasName}",
        ]);
        return AwaitDaemon("dnsmasq", names.DnsmasqPidFile, names.DnsmasqLog, pid => LabProcesses.IsDnsmasqWith(pid, names.DnsmasqPidFile));
    }

    internal static void Save(LabNames names, LabInfo info)
    {
        string temporary = names.StateFile + ".new";
        File.WriteAllText(temporary, JsonSerializer.Serialize(info, LabJsonContext.Default.LabInfo));
        File.Move(temporary, names.StateFile, overwrite: true);
    }

    private static void RequireRootAndTools(string[] tools)
    {
        if (!OperatingSystem.IsLinux())
            throw new LabException("the lab needs Linux (network namespaces, veth, nftables, tc)");
        if (!Environment.IsPrivilegedProcess)
            throw new LabException("the lab needs root (it creates network namespaces, veth pairs, nftables rules and qdiscs)");
        var missing = tools.Where(t => Tool.Find(t) is null).ToList();
        if (missing.Count > 0)
            throw new LabException($"missing tools: {string.Join(", ", missing)} (bash scripts/setup.sh installs them)");
    }
}
