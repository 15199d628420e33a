using System.Security.Cryptography;
using System.Text.Json;
using UserTcp.Live.Tests.Support;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Labs;

/// <summary>
/// <c>usertcp lab up --topology routed</c>: the client on a LAN with a kernel address of its own, a router with DHCP, DNS and
/// NAT, the server behind a link with a smaller MTU. The lab itself (its JSON, the kernel's route, the router's ICMP
/// "fragmentation needed", a DHCP offer, status and down), then the stack through it: a download by name with the gateway
/// from the lab, one with gateway and prefix from the kernel's routing table, an upload whose full-size frames the
/// router refuses, so the stack must lower its MSS, and a gateway that never answers ARP. Needs root: fails, never skips, without it.
/// </summary>
public sealed class RoutedLabTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A DHCPDISCOVER from the client namespace's kernel (a UDP socket on port 68 bound to the LAN veth, broadcast flag set so
    /// the OFFER comes back broadcast); prints the offered address, the router and DNS options and the lease time.
    /// </summary>
    private const string DhcpDiscover = """
        import os, socket, struct, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
        s.bind(("0.0.0.0", 68))
        xid = os.urandom(4)
        packet = struct.pack("!BBBB4sHH4s4s4s4s16s192s4s", 1, 1, 6, 0, xid, 0, 0x8000, bytes(4), bytes(4), bytes(4), bytes(4),
                             bytes.fromhex("02aabbccddee") + bytes(10), bytes(192), b"\x63\x82\x53\x63") + bytes([53, 1, 1, 255])
        s.sendto(packet, ("255.255.255.255", 67))
        s.settimeout(5)
        while True:
            data, _ = s.recvfrom(2048)
            if data[0] == 2 and data[4:8] == xid:
                options, i = {}, 240
                while i < len(data) and data[i] != 255:
                    if data[i] == 0:
                        i += 1
                        continue
                    options[data[i]] = data[i + 2:i + 2 + data[i + 1]]
                    i += 2 + data[i + 1]
                print(socket.inet_ntoa(data[16:20]), socket.inet_ntoa(options[3]), socket.inet_ntoa(options[6]), int.from_bytes(options[51], "big"))
                break
        """;

    private static ProcessResult InNamespace(string netns, params string[] command) =>
        ProcessRunner.Run("ip", ["netns", "exec", netns, .. command], Timeout);

    [Fact]
    public void A_routed_lab_comes_up_routes_offers_dhcp_and_goes_down()
    {
        using var lab = new TemporaryLab("hr");
        string json = LabShell.CliChecked("up", "--name", lab.Name, "--topology", "routed", "--files", "64K", "--json").Output;
        var info = LabShell.ParseInfo(json);
        var names = lab.Names;
        Assert.Equal(("routed", names.RouterNamespace, RoutedLab.Gateway, RoutedLab.ClientKernelIp, RoutedLab.StackIp, RoutedLab.ServerIp, 1400),
                     (info.Topology, info.RouterNetns, info.Gateway, info.ClientKernelIp, info.ClientIp, info.ServerIp, info.RemoteMtu));
        Assert.Equal((RoutedLab.Gateway, $"http://{RoutedLab.ServerIp}/64K", $"http://{RoutedLab.ServerIp}:8080/upload"),
                     (info.DnsServer, info.Files["64K"].Url, info.UploadUrl));
        Assert.Equal([$"{RoutedLab.ClientKernelIp}/24"], LabShell.Ipv4Addresses(info.ClientNetns, info.ClientIface));
        Assert.Contains($"default via {RoutedLab.Gateway} dev {info.ClientIface}", InNamespace(info.ClientNetns, "ip", "route").Output);

        // The kernel client crosses router and NAT; a full-size packet with DF set gets the router's "fragmentation needed".
        var curl = InNamespace(info.ClientNetns, "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", info.Files["64K"].Url);
        Assert.Equal("200 65536", curl.Output);
        var ping = InNamespace(info.ClientNetns, "ping", "-c", "1", "-W", "2", "-M", "do", "-s", "1472", RoutedLab.ServerIp);
        Assert.Contains($"From {RoutedLab.Gateway} icmp_seq=1 Frag needed and DF set (mtu = 1400)", ping.Output);

        // The router's DHCP server offers an address of its range, itself as router and DNS, the lab's lease time.
        var offer = InNamespace(info.ClientNetns, "python3", "-c", DhcpDiscover, info.ClientIface);
        Assert.True(offer.ExitCode == 0, $"no DHCP offer: {offer.Error}");
        string[] fields = offer.Output.Trim().Split(' ');
        Assert.StartsWith("198.18.1.", fields[0]);
        Assert.InRange(int.Parse(fields[0].Split('.')[3], System.Globalization.CultureInfo.InvariantCulture), 100, 199);
        Assert.Equal([RoutedLab.Gateway, RoutedLab.Gateway, RoutedLab.DhcpLeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)], fields[1..]);
        Assert.Contains("DHCPOFFER", File.ReadAllText(Path.Combine(info.StateDir, "dnsmasq.log")));

        // Up again: nothing changes; status says the same; to flat and back rebuilds; down leaves nothing.
        Assert.Contains("nothing changed", LabShell.CliChecked("up", "--name", lab.Name, "--topology", "routed", "--files", "64K").Output);
        Assert.Equal(json, LabShell.CliChecked("status", "--name", lab.Name, "--json").Output);
        var flat = Lab.Up(new LabOptions { Name = lab.Name, Files = "64K" });
        Assert.Equal((LabUpOutcome.Rebuilt, "flat", null), (flat.Outcome, flat.Lab.Topology, flat.Lab.RouterNetns));
        Assert.Equal(["topology routed -> flat"], flat.Changes);
        Assert.False(Directory.Exists(names.RouterNamespacePath), "the flat lab kept the router namespace");
        LabShell.CliChecked("down", "--name", lab.Name);
        LabShell.AssertNothingLeft(lab.Name);
    }

    [Fact]
    public void The_stack_downloads_by_name_through_the_router_and_uploads_past_the_smaller_mtu()
    {
        using var lab = new TemporaryLab("hr");
        var info = lab.Up(files: "1M", topology: LabTopology.Routed);
        var file = info.Files["1M"];
        string output = Path.Combine(Path.GetTempPath(), $"usertcp-routed-{Guid.NewGuid():N}");
        string upload = output + ".up", response = output + ".response";
        try
        {
            // By name (the router's DNS), the gateway from the lab, a spare LAN address of our own choice.
            var get = BuiltProgram.Run(BuiltProgram.Usertcp, ["get", $"http://{Lab.ServerName}/1M", "-o", output, "--lab", lab.Name, "--ip", "198.18.1.20/24"], Timeout);
            Assert.True(get.ExitCode == 0, $"get exited {get.ExitCode}:\n{get.Error}");
            Assert.Equal(file.Sha256, FileDigest.Sha256(output));
            File.Delete(output);

            // As a host routes: in the client namespace, --iface with an address alone; prefix and gateway from the kernel.
            var routed = InNamespace(info.ClientNetns, BuiltProgram.Usertcp, "get", file.Url, "-o", output, "--iface", info.ClientIface, "--ip", "198.18.1.21");
            Assert.True(routed.ExitCode == 0, $"get with the kernel's routes exited {routed.ExitCode}:\n{routed.Error}");
            Assert.Equal(file.Sha256, FileDigest.Sha256(output));

            // An upload: the stack's 1500-byte frames cannot cross the 1400-byte link; the router's ICMP lowers the MSS.
            var content = RandomNumberGenerator.GetBytes(2 << 20);
            File.WriteAllBytes(upload, content);
            // With GSO (on by default, named here): the router refuses the segments of several MSS whole (ip_forward checks
            // each piece against the link, skb_gso_validate_network_len); after its ICMP they go on cut at the lowered MSS.
            var put = BuiltProgram.Run(BuiltProgram.Usertcp, ["put", info.UploadUrl, upload, "-o", response, "--lab", lab.Name, "--stats", "--gso", "on"], Timeout);
            Assert.True(put.ExitCode == 0, $"put exited {put.ExitCode}:\n{put.Error}");
            using (var answer = JsonDocument.Parse(File.ReadAllText(response)))
            {
                Assert.Equal((2L << 20, Convert.ToHexStringLower(SHA256.HashData(content))),
                             (answer.RootElement.GetProperty("bytes").GetInt64(), answer.RootElement.GetProperty("sha256").GetString()));
            }
            Assert.Equal(1, Stat(put.Error, "tcp path mtu reductions (icmp)"));
            Assert.True(Stat(put.Error, "gso frames sent (kernel segments)") > 0, $"no segmented frames:\n{put.Error}");
            Assert.Equal(0, Stat(put.Error, "tcp frag-needed ignored: bad seq"));

            var counters = Lab.ServerCounters(lab.Name);
            Assert.Equal((0, 0), (counters["TcpOutRsts"], counters["TcpEstabResets"]));

            // A gateway that never answers ARP: one clear line, exit 1, after the three requests, no file left.
            File.Delete(output);
            var silent = BuiltProgram.Run(BuiltProgram.Usertcp, ["get", file.Url, "-o", output, "--lab", lab.Name, "--gateway", "198.18.1.99"], Timeout);
            Assert.Equal(1, silent.ExitCode);
            Assert.Contains("host unreachable (no ARP answer)", silent.Error);
            Assert.False(File.Exists(output));
        }
        finally
        {
            foreach (string path in new[] { output, upload, response }) File.Delete(path);
        }
    }

    private static long Stat(string output, string name) =>
        long.Parse(output.Split('\n').Single(line => line.TrimStart().StartsWith(name + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1],
                   System.Globalization.CultureInfo.InvariantCulture);
}
