using System.Globalization;
using System.Text.Json;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Namespaces;

namespace UserTcp.Live.Tests.Labs;

/// <summary><c>usertcp lab up</c>: what it makes matches its JSON and the system, again and again, and reconfigures in place.</summary>
public sealed class LabUpTests
{
    private static readonly string[] JsonFields =
    [
        "name", "server_netns", "client_netns", "server_iface", "client_iface", "server_ip", "client_ip", "prefix", "server_mac",
        "client_mac", "base_url", "files", "offload", "loss_pct", "loss_up_pct", "rate", "rate_bits_per_second", "state_dir", "nginx_pid",
        "https_base_url", "ca_cert", "dns_server", "host_names", "dnsmasq_pid", "upload_url", "upload_sink_pid", "stack_link", "tap_iface", "bridge_iface", "kernel_iface",
        "topology", "router_netns", "router_lan_iface", "router_remote_iface", "gateway", "client_kernel_ip", "dhcp_range_start", "dhcp_range_end",
        "dhcp_lease_seconds", "dhcp_lease_file", "remote_network", "remote_mtu", "router_remote_ip",
    ];

    [Fact]
    public void Up_with_defaults_prints_a_description_that_matches_the_system()
    {
        using var lab = new TemporaryLab();
        string json = LabShell.CliChecked("up", "--name", lab.Name, "--json").Output;

        using (var document = JsonDocument.Parse(json))
            Assert.Equal(JsonFields, document.RootElement.EnumerateObject().Select(p => p.Name));
        var info = LabShell.ParseInfo(json);
        var names = lab.Names;
        Assert.Equal((lab.Name, $"{lab.Name}-srv", $"{lab.Name}-cli", $"{lab.Name}s", $"{lab.Name}c"),
                     (info.Name, info.ServerNetns, info.ClientNetns, info.ServerIface, info.ClientIface));
        Assert.Equal(("198.18.0.1", "198.18.0.2", 24, "http://198.18.0.1"), (info.ServerIp, info.ClientIp, info.Prefix, info.BaseUrl));
        Assert.Equal((true, 0m, 0m, null, null), (info.Offload, info.LossPct, info.LossUpPct, info.Rate, info.RateBitsPerSecond));
        Assert.Equal(names.StateDirectory, info.StateDir);
        Assert.Equal(["1M", "16M"], info.Files.Keys);
        Assert.Equal((1L << 20, "http://198.18.0.1/1M"), (info.Files["1M"].Bytes, info.Files["1M"].Url));
        Assert.Equal((16L << 20, "http://198.18.0.1/16M"), (info.Files["16M"].Bytes, info.Files["16M"].Url));

        Assert.True(NetworkNamespace.Exists(info.ServerNetns) && NetworkNamespace.Exists(info.ClientNetns));
        Assert.Equal(["198.18.0.1/24"], LabShell.Ipv4Addresses(info.ServerNetns, info.ServerIface));
        Assert.Empty(LabShell.Ipv4Addresses(info.ClientNetns, info.ClientIface));
        foreach (var (netns, device, mac) in new[] { (info.ServerNetns, info.ServerIface, info.ServerMac), (info.ClientNetns, info.ClientIface, info.ClientMac) })
        {
            string link = Tool.RunIn(netns, ["ip", "-o", "link", "show", "dev", device]);
            Assert.Contains("veth", Tool.RunIn(netns, ["ethtool", "-i", device]));
            Assert.Contains($"link/ether {mac} ", link);
            Assert.Contains("state UP", link);
            Assert.Equal("1", Tool.RunIn(netns, ["sysctl", "-n", "net.ipv6.conf.all.disable_ipv6"]).Trim());
            Assert.DoesNotContain("inet6", Tool.RunIn(netns, ["ip", "addr", "show", "dev", device]));
        }
        Assert.True(LabProcesses.IsAlive(info.NginxPid));
        Assert.True(LabProcesses.IsAlive(info.DnsmasqPid));
        Assert.Equal(("https://198.18.0.1", "198.18.0.1", Path.Combine(names.StateDirectory, "tls", "cert.pem")), (info.HttpsBaseUrl, info.DnsServer, info.CaCert));
        Assert.Equal(["server.usertcp.test", "www.usertcp.test", "files.usertcp.test"], info.HostNames);

        // The client namespace has no address to fetch from, so the server namespace fetches from itself: every file
        // plainly, over HTTPS (by name, trusting the lab's certificate) and chunked.
        foreach (var (file, recorded) in info.Files)
        {
            Assert.Equal((recorded.Url, $"https://198.18.0.1/{file}", $"http://198.18.0.1/chunked/{file}"), (recorded.Url, recorded.HttpsUrl, recorded.ChunkedUrl));
            string download = Tool.RunIn(info.ServerNetns, ["sh", "-c", $"curl -sS --max-time 30 {recorded.Url} | sha256sum"]);
            Assert.Equal(recorded.Sha256 + "  -", download.Trim());
            string https = Tool.RunIn(info.ServerNetns, ["sh", "-c", $"curl -sS --max-time 30 --cacert {info.CaCert} --resolve {info.HostNames[1]}:443:{info.ServerIp} https://{info.HostNames[1]}/{file} | sha256sum"]);
            Assert.Equal(recorded.Sha256 + "  -", https.Trim());
            Assert.Contains("Transfer-Encoding: chunked", Tool.RunIn(info.ServerNetns, ["curl", "-sS", "--max-time", "30", "-o", "/dev/null", "-D", "-", recorded.ChunkedUrl]));
        }

        Assert.Equal(json, LabShell.CliChecked("status", "--name", lab.Name, "--json").Output);
        Assert.Contains($"lab {lab.Name} is up", LabShell.CliChecked("status", "--name", lab.Name).Output);
    }

    [Fact]
    public void Up_again_with_the_same_settings_reports_the_lab_and_touches_nothing()
    {
        using var lab = new TemporaryLab();
        var first = Lab.Up(new LabOptions { Name = lab.Name, Files = "64K", LossPercent = 1, Rate = "1gbit" });
        var second = Lab.Up(new LabOptions { Name = lab.Name, Files = "64k", LossPercent = 1.00m, Rate = "1000mbit" });

        Assert.Equal(LabUpOutcome.Created, first.Outcome);
        Assert.Equal(LabUpOutcome.Unchanged, second.Outcome);
        Assert.Empty(second.Changes);
        Assert.Equal(Json(first.Lab), Json(second.Lab));
        var human = LabShell.CliChecked("up", "--name", lab.Name, "--files", "64K", "--loss", "1", "--rate", "1gbit");
        Assert.Contains("already up with these settings", human.Output);
        Assert.Equal(first.Lab.NginxPid, Lab.Status(lab.Name).NginxPid);
    }

    [Fact]
    public void Up_with_other_settings_reconfigures_loss_rate_offload_and_files_in_place()
    {
        using var lab = new TemporaryLab();
        var before = lab.Up(files: "64K");
        var names = lab.Names;

        var changed = Lab.Up(new LabOptions
        {
            Name = lab.Name, Files = "64K,128K", LossPercent = 2.5m, LossUpPercent = 0.5m, Rate = "20mbit", Offload = false,
        });
        Assert.Equal(LabUpOutcome.Reconfigured, changed.Outcome);
        Assert.Equal(["offload on -> off", "loss 0% -> 2.5%", "loss-up 0% -> 0.5%", "rate unlimited -> 20mbit", "files 64K -> 64K,128K"], changed.Changes);
        Assert.Equal(before.NginxPid, changed.Lab.NginxPid);
        Assert.Equal((2.5m, 0.5m, "20mbit", 20_000_000L), (changed.Lab.LossPct, changed.Lab.LossUpPct, changed.Lab.Rate, changed.Lab.RateBitsPerSecond));
        string rules = Tool.RunIn(names.ServerNamespace, ["nft", "list", "table", "ip", names.LossTable]);
        Assert.Contains("type filter hook output priority filter; policy accept;", rules);
        Assert.Contains($"oifname \"{names.ServerInterface}\" numgen random mod 10000 < 250 counter", rules);
        Assert.Contains($"iifname \"{names.ServerInterface}\" numgen random mod 10000 < 50 counter", rules);
        Assert.Contains("tbf", Qdisc(names));
        Assert.Contains("rate 20Mbit", Qdisc(names));
        Assert.All(OffloadLines(names), line => Assert.EndsWith(": off", line));
        Assert.Equal(changed.Lab.Files["128K"].Sha256 + "  -", Fetch(names, "128K"));
        Assert.Equal(Json(changed.Lab), Json(Lab.Status(lab.Name)));

        var back = Lab.Up(new LabOptions { Name = lab.Name, Files = "64K" });
        Assert.Equal(LabUpOutcome.Reconfigured, back.Outcome);
        Assert.DoesNotContain(names.LossTable, Tool.RunIn(names.ServerNamespace, ["nft", "list", "tables"]));
        Assert.DoesNotContain("tbf", Qdisc(names));
        Assert.All(OffloadLines(names), line => Assert.EndsWith(": on", line));
        Assert.Equal("404", Tool.RunIn(names.ServerNamespace, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://198.18.0.1/128K"]));
        Assert.Equal(before.NginxPid, back.Lab.NginxPid);
    }

    [Fact]
    public void Offload_off_shows_in_ethtool_on_both_ends()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(offload: false);
        Assert.False(info.Offload);
        Assert.All(OffloadLines(lab.Names), line => Assert.EndsWith(": off", line));
        Assert.Equal(10, OffloadLines(lab.Names).Count);
    }

    [Fact]
    public void Loss_drops_the_direction_it_names_and_nothing_else()
    {
        using var lab = new TemporaryLab();
        var names = lab.Names;
        lab.Up();
        // A second address only for this probe: the client kernel must never hold 198.18.0.2, the stack's address.
        Tool.RunIn(names.ClientNamespace, ["ip", "addr", "add", "198.18.0.3/24", "dev", names.ClientInterface]);
        Assert.True(Ping(names), "ping through a lossless lab must succeed");

        lab.Up(loss: 100);
        Assert.False(Ping(names), "100 % loss from the server must stop the echo replies");
        Assert.True(DropCounter(names, "down") > 0);

        lab.Up(lossUp: 100);
        Assert.False(Ping(names), "100 % loss towards the server must stop the echo requests");
        Assert.True(DropCounter(names, "up") > 0);

        lab.Up();
        Assert.True(Ping(names), "removing the loss must restore the path");
    }

    [Fact]
    public void Rate_limits_what_the_server_sends()
    {
        using var lab = new TemporaryLab();
        var names = lab.Names;
        lab.Up(files: "1M", rate: "20mbit");
        Tool.RunIn(names.ClientNamespace, ["ip", "addr", "add", "198.18.0.3/24", "dev", names.ClientInterface]);

        string speed = Tool.RunIn(names.ClientNamespace, ["curl", "-sS", "--max-time", "20", "-o", "/dev/null", "-w", "%{speed_download}", "http://198.18.0.1/1M"]);
        double bitsPerSecond = double.Parse(speed, CultureInfo.InvariantCulture) * 8;
        // One 64 KiB burst on top of 1 MiB at 20 Mbit/s is 6 % extra; the lower bound only catches a broken shaper.
        Assert.InRange(bitsPerSecond, 10e6, 20e6 * 1.15);
    }

    private static string Json(LabInfo info) => JsonSerializer.Serialize(info, LabJsonContext.Default.LabInfo);

    private static string Qdisc(LabNames names) => Tool.RunIn(names.ServerNamespace, ["tc", "qdisc", "show", "dev", names.ServerInterface, "root"]);

    private static string Fetch(LabNames names, string file) =>
        Tool.RunIn(names.ServerNamespace, ["sh", "-c", $"curl -sS --max-time 30 http://198.18.0.1/{file} | sha256sum"]).Trim();

    /// <summary>The five offload features <c>lab up --offload</c> sets, as ethtool -k prints them, for both veth ends.</summary>
    private static List<string> OffloadLines(LabNames names) =>
        new[] { (names.ServerNamespace, names.ServerInterface), (names.ClientNamespace, names.ClientInterface) }
            .SelectMany(end => Tool.RunIn(end.Item1, ["ethtool", "-k", end.Item2]).Split('\n'))
            .Where(line => line.StartsWith("tcp-segmentation-offload:") || line.StartsWith("generic-segmentation-offload:") ||
                           line.StartsWith("generic-receive-offload:") || line.StartsWith("tx-checksumming:") || line.StartsWith("rx-checksumming:"))
            .ToList();

    private static bool Ping(LabNames names) =>
        Tool.TryRun(["ip", "netns", "exec", names.ClientNamespace, "ping", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "1", "198.18.0.1"]).ExitCode == 0;

    private static long DropCounter(LabNames names, string chain)
    {
        string rules = Tool.RunIn(names.ServerNamespace, ["nft", "list", "chain", "ip", names.LossTable, chain]);
        var match = System.Text.RegularExpressions.Regex.Match(rules, @"counter packets (\d+)");
        Assert.True(match.Success, rules);
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
