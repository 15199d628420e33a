using System.Globalization;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;
using Xunit.Abstractions;

namespace UserTcp.Live.Tests.Cli;

/// <summary>
/// <c>usertcp get/ping --iface DEV</c> without <c>--ip</c>: the stack leases its address from dnsmasq over a veth between two
/// namespaces of its own ("hd…"), then talks to a server in the other one. Needs root: fails, never skips, without it.
/// </summary>
public sealed class DhcpGetTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string Server = "198.18.78.1";

    [Fact]
    public void Get_without_ip_leases_an_address_downloads_byte_exact_and_releases_it()
    {
        using var net = DhcpLink.Create(output);
        string capture = Path.Combine(net.Directory, "client.pcap"), body = Path.Combine(net.Directory, "body.bin");

        var result = net.Client.TryExec(Timeout, BuiltProgram.Usertcp, "get", $"http://{Server}:8000/file.bin", "--iface", net.ClientInterface,
                                        "--stats", "--pcap", capture, "-o", body);

        Assert.True(result.ExitCode == 0, $"get exited {result.ExitCode}:\n{result.Output}\n{result.Error}");
        Assert.Matches(@"usertcp: DHCP lease 198\.18\.78\.(5\d|60)/24 from 198\.18\.78\.1 for 120 s, router 198\.18\.78\.1", result.Error);
        Assert.Equal(File.ReadAllBytes(net.File), File.ReadAllBytes(body));
        Assert.Matches(@"dhcp leases obtained\s+1", result.Error);
        net.WaitForServerLog("DHCPRELEASE"); // RFC 2131 §4.4.6, on exit
        output.WriteLine($"DHCP ACK to first SYN: {net.AckToFirstSyn(capture).TotalMilliseconds.ToString("0.000", CultureInfo.InvariantCulture)} ms");
    }

    /// <summary>With T1 at 4 s (option 58), a ping of 7 s outlives it: the renewal goes unicast to the server, which ACKs it,
    /// and the pings keep their answers. The full 2-minute lease's T1, T2 and expiry are tested on virtual time (DhcpClientTests).</summary>
    [Fact]
    public void A_short_t1_renews_with_the_server_while_ping_runs()
    {
        using var net = DhcpLink.Create(output, "--dhcp-option=58,4");

        var result = net.Client.TryExec(Timeout, BuiltProgram.Usertcp, "ping", Server, "-c", "7", "-i", "1", "--iface", net.ClientInterface, "--stats");

        Assert.True(result.ExitCode == 0, $"ping exited {result.ExitCode}:\n{result.Output}\n{result.Error}");
        Assert.Contains("7 packets transmitted, 7 received", result.Output);
        Assert.Matches(@"dhcp renewals\s+1", result.Error);
        Assert.Matches(@"dhcp requests sent\s+2", result.Error);
        net.WaitForServerLog("DHCPACK", occurrences: 2);
    }

    /// <summary>A server that knows clients by MAC (dnsmasq's dhcp-host) offers the stack the host's own address, which the
    /// stack shares the MAC with: get stops at the OFFER with one clear line and exit 1, and neither requests nor declines
    /// the host's lease.</summary>
    [Fact]
    public void An_offer_of_the_hosts_own_address_is_refused_clearly()
    {
        using var net = DhcpLink.CreateWithHostLease(output, "198.18.78.55");

        var result = net.Client.TryExec(Timeout, BuiltProgram.Usertcp, "get", $"http://{Server}:8000/file.bin", "--iface", net.ClientInterface, "-o", "/dev/null");

        Assert.True(result.ExitCode == 1, $"get exited {result.ExitCode}:\n{result.Output}\n{result.Error}");
        Assert.Contains("offered 198.18.78.55, the host's own address on this interface", result.Error);
        net.WaitForServerLog("DHCPOFFER(");
        Assert.DoesNotContain("DHCPREQUEST(", net.ServerLog);
        Assert.DoesNotContain("DHCPDECLINE(", net.ServerLog);
    }

    /// <summary>Two namespaces joined by a veth: the server side with 198.18.78.1/24, dnsmasq (DHCP only, no ping check, a
    /// 2-minute lease, 198.18.78.50–60) and a python HTTP server with a 3 MB file; the client side up without an address.</summary>
    private sealed class DhcpLink : IDisposable
    {
        private readonly ITestOutputHelper _output;
        private readonly List<BackgroundProcess> _processes = new();
        private BackgroundProcess _dnsmasq = null!;

        private DhcpLink(ITestOutputHelper output, NetworkNamespace client, NetworkNamespace server)
        {
            _output = output;
            Client = client;
            ServerSpace = server;
            Directory = System.IO.Directory.CreateTempSubdirectory("hd-dhcp-").FullName;
            File = Path.Combine(Directory, "file.bin");
        }

        public NetworkNamespace Client { get; }
        public NetworkNamespace ServerSpace { get; }
        public string ClientInterface => Client.Name + "c";
        public string Directory { get; }
        public string File { get; }

        public static DhcpLink Create(ITestOutputHelper output, params string[] dnsmasqOptions) => Create(output, null, dnsmasqOptions);

        /// <summary>The client's kernel holds <paramref name="address"/>/24 on the veth, and dnsmasq gives the veth's MAC that
        /// address too: the host's own lease, as a server that knows clients by MAC hands it to the stack.</summary>
        public static DhcpLink CreateWithHostLease(ITestOutputHelper output, string address) => Create(output, address, []);

        private static DhcpLink Create(ITestOutputHelper output, string? hostAddress, string[] dnsmasqOptions)
        {
            var link = new DhcpLink(output, NetworkNamespace.Create("hd"), NetworkNamespace.Create("hd"));
            try
            {
                link.Start(hostAddress, dnsmasqOptions);
                return link;
            }
            catch
            {
                link.Dispose();
                throw;
            }
        }

        private void Start(string? hostAddress, string[] dnsmasqOptions)
        {
            string serverInterface = ServerSpace.Name + "s";
            Tool.Run(["ip", "link", "add", ClientInterface, "netns", Client.Name, "type", "veth", "peer", "name", serverInterface, "netns", ServerSpace.Name]);
            var clientMac = NetworkNamespace.LinkUp(Client.Name, ClientInterface, hostAddress is null ? null : $"{hostAddress}/24");
            if (hostAddress is not null) dnsmasqOptions = [.. dnsmasqOptions, $"--dhcp-host={clientMac},{hostAddress}"];
            NetworkNamespace.LinkUp(ServerSpace.Name, serverInterface, $"{Server}/24");
            foreach (var (space, device) in new[] { (Client, ClientInterface), (ServerSpace, serverInterface) })
                space.Exec("ethtool", "-K", device, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off");
            var content = new byte[3_000_000];
            new Random(13).NextBytes(content);
            System.IO.File.WriteAllBytes(File, content);
            _dnsmasq = ServerSpace.Start(["dnsmasq", "--no-daemon", "--port=0", "--no-ping", "--log-dhcp", "--log-facility=-", "--pid-file",
                "--no-resolv", "--no-hosts", $"--interface={serverInterface}", "--bind-interfaces",
                $"--dhcp-leasefile={Path.Combine(Directory, "leases")}", "--dhcp-range=198.18.78.50,198.18.78.60,255.255.255.0,2m",
                $"--dhcp-option=option:router,{Server}", .. dnsmasqOptions]);
            _processes.Add(_dnsmasq);
            var http = ServerSpace.Start(["python3", "-u", "-m", "http.server", "8000", "--bind", Server, "--directory", Directory]);
            _processes.Add(http);
            // Listening once it says so (a loaded machine took over a second); a DISCOVER sent before dnsmasq binds is
            // retransmitted after 4 s, so dnsmasq needs no such wait.
            http.WaitForLine(line => line.StartsWith("Serving HTTP", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        }

        /// <summary>What dnsmasq logged so far.</summary>
        public string ServerLog => _dnsmasq.Text;

        /// <summary>Waits until dnsmasq's log shows <paramref name="text"/> <paramref name="occurrences"/> times.</summary>
        public void WaitForServerLog(string text, int occurrences = 1)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Count(_dnsmasq.Text, text) < occurrences)
            {
                Assert.True(DateTime.UtcNow < deadline, $"dnsmasq logged {text} fewer than {occurrences} times:\n{_dnsmasq.Text}");
                Thread.Sleep(50);
            }
        }

        private static int Count(string text, string part)
        {
            int count = 0;
            for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal)) count++;
            return count;
        }

        /// <summary>From the capture: the last DHCP reply before the first SYN, to that SYN.</summary>
        public TimeSpan AckToFirstSyn(string capture)
        {
            double ack = 0, syn = 0;
            foreach (string line in Tool.Run(["tcpdump", "-nn", "-tt", "-r", capture]).Split('\n'))
            {
                if (line.Contains("BOOTP/DHCP, Reply", StringComparison.Ordinal)) ack = double.Parse(line[..line.IndexOf(' ')], CultureInfo.InvariantCulture);
                if (line.Contains("Flags [S]", StringComparison.Ordinal))
                {
                    syn = double.Parse(line[..line.IndexOf(' ')], CultureInfo.InvariantCulture);
                    break;
                }
            }
            Assert.True(ack > 0 && syn > ack, "the capture has a DHCP reply before a SYN");
            return TimeSpan.FromSeconds(syn - ack);
        }

        public void Dispose()
        {
            foreach (var process in _processes) process.Dispose();
            if (_dnsmasq is not null) _output.WriteLine(_dnsmasq.Text);
            Client.Dispose();
            ServerSpace.Dispose();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
