using System.Text.RegularExpressions;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Decode;

/// <summary>
/// <c>usertcp decode</c> against <c>tcpdump -nn -e -S -r</c> on the same real captures, frame by frame: time, MACs,
/// frame length, addresses, ports, TCP flags, seq/ack, window, lengths, ARP and ICMP fields.
/// </summary>
public sealed partial class DecodeMatchesTcpdumpTests
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("http-offload-off.pcap")]
    [InlineData("http-offload-on.pcap")]
    public void Committed_capture_of_kernel_traffic_decodes_like_tcpdump(string fixture) =>
        AssertDecodesLikeTcpdump(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture));

    [Theory]
    [InlineData("off")]
    [InlineData("on")]
    public void Fresh_capture_from_a_namespace_lab_decodes_like_tcpdump(string offload)
    {
        Repository.RequireRoot();
        string pcap = Path.Combine(Path.GetTempPath(), $"usertcp-decode-{Guid.NewGuid():N}.pcap");
        try
        {
            ProcessRunner.RunChecked("bash", [Repository.Path("scripts", "capture-http.sh"), pcap, "--offload", offload, "--size", "200000"], ToolTimeout);
            var lines = AssertDecodesLikeTcpdump(pcap);

            Assert.Contains(lines, l => l.Contains("ARP") && l.Contains("Request who-has 198.18.0.1 tell 198.18.0.2"));
            Assert.Contains(lines, l => l.Contains("Reply 198.18.0.1 is-at"));
            Assert.Contains(lines, l => l.Contains("ICMP echo reply"));
            Assert.Contains(lines, l => l.Contains("ICMP unreachable"));
            Assert.Contains(lines, l => l.Contains("Flags [S.]"));
            Assert.Contains(lines, l => l.Contains("Flags [F."));
            var transport = lines.Where(l => l.Contains("Flags [") || l.Contains("UDP,")).ToList();
            Assert.NotEmpty(transport);
            if (offload == "off")
            {
                // Without offloads every checksum the kernel sent is final, and our verification must agree.
                Assert.All(transport, l => Assert.EndsWith("cksum ok", l));
            }
            else
            {
                // With offloads, locally sent frames carry partial sums and the receive side sees GSO super-frames.
                Assert.All(transport, l => Assert.Matches("cksum (ok|partial)$", l));
                Assert.Contains(lines, l => l.Contains("cksum partial"));
                Assert.Contains(lines, l => int.Parse(FrameLength().Match(l).Groups[1].Value) > 1514);
            }
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    private static List<string> AssertDecodesLikeTcpdump(string pcap)
    {
        var ours = BuiltProgram.Run(BuiltProgram.Usertcp, ["decode", pcap], ToolTimeout);
        Assert.Equal(0, ours.ExitCode);
        Assert.Equal("", ours.Error);
        var ourLines = Lines(ours.Output);

        var tcpdump = ProcessRunner.RunChecked("tcpdump", ["-nn", "-e", "-S", "-r", pcap], ToolTimeout);
        var theirLines = Lines(tcpdump.Output);

        Assert.True(ourLines.Count > 20, $"expected a real capture, got {ourLines.Count} frames");
        Assert.Equal(theirLines.Count, ourLines.Count);
        for (int i = 0; i < ourLines.Count; i++)
        {
            string expected = Normalize(theirLines[i]);
            string actual = Normalize(ourLines[i]);
            Assert.True(expected == actual,
                $"frame {i + 1} differs\n tcpdump: {theirLines[i]}\n usertcp: {ourLines[i]}\n expected {expected}\n actual   {actual}");
        }
        return ourLines;
    }

    private static List<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>Reduces a line of either tool to the fields both must agree on; an unrecognised line fails loudly.</summary>
    internal static string Normalize(string line)
    {
        var head = Head().Match(line);
        Assert.True(head.Success, $"unrecognised frame line: {line}");
        string prefix = $"{head.Groups["time"].Value} {head.Groups["src"].Value}>{head.Groups["dst"].Value} len={head.Groups["len"].Value} ";
        string rest = head.Groups["rest"].Value;
        // We decode IPv4 and ARP only; for other types the frame-level fields must still agree.
        if (head.Groups["type"].Value == "IPv6") return prefix + "ipv6";
        if (head.Groups["type"].Value == "ARP")
        {
            var request = ArpRequest().Match(rest);
            if (request.Success) return prefix + $"arp who-has {request.Groups[1].Value} tell {request.Groups[2].Value}";
            var reply = ArpReply().Match(rest);
            Assert.True(reply.Success, $"unrecognised ARP line: {line}");
            return prefix + $"arp {reply.Groups[1].Value} is-at {reply.Groups[2].Value}";
        }
        var ip = Endpoints().Match(rest);
        Assert.True(ip.Success, $"unrecognised IPv4 line: {line}");
        prefix += $"{ip.Groups["src"].Value}>{ip.Groups["dst"].Value} ";
        string l4 = ip.Groups["l4"].Value;
        var tcp = Tcp().Match(l4);
        if (tcp.Success)
            return prefix + $"tcp [{tcp.Groups["flags"].Value}] seq={tcp.Groups["seq"].Value} ack={tcp.Groups["ack"].Value} win={tcp.Groups["win"].Value} payload={tcp.Groups["plen"].Value}";
        var echo = IcmpEcho().Match(l4);
        if (echo.Success) return prefix + $"icmp echo {echo.Groups[1].Value} id={echo.Groups[2].Value} seq={echo.Groups[3].Value} len={echo.Groups[4].Value}";
        var udp = Udp().Match(l4);
        if (udp.Success) return prefix + $"udp payload={udp.Groups[1].Value}";
        var icmp = IcmpOther().Match(l4);
        Assert.True(icmp.Success, $"unrecognised transport in line: {line}");
        return prefix + $"icmp len={icmp.Groups[1].Value}";
    }

    [GeneratedRegex(@"^(?<time>\d\d:\d\d:\d\d\.\d{6}) (?<src>[0-9a-f:]{17}) > (?<dst>[0-9a-f:]{17}), (?:ethertype )?(?<type>IPv4|ARP|IPv6)(?: \(0x[0-9a-f]{4}\))?, length (?<len>\d+): (?<rest>.*)$")]
    private static partial Regex Head();
    [GeneratedRegex(@"^Request who-has (\S+) tell (\S+?),")]
    private static partial Regex ArpRequest();
    [GeneratedRegex(@"^Reply (\S+) is-at (\S+?),")]
    private static partial Regex ArpReply();
    [GeneratedRegex(@"^(?<src>\d+\.\d+\.\d+\.\d+(?:\.\d+)?) > (?<dst>\d+\.\d+\.\d+\.\d+(?:\.\d+)?): (?<l4>.*)$")]
    private static partial Regex Endpoints();
    [GeneratedRegex(@"^Flags \[(?<flags>[^\]]+)\](?:, seq (?<seq>[\d:]+))?(?:, ack (?<ack>\d+))?, win (?<win>\d+)(?:, urg \d+)?(?:, options \[[^\]]*\])?, length (?<plen>\d+)")]
    private static partial Regex Tcp();
    [GeneratedRegex(@"^ICMP echo (request|reply), id (\d+), seq (\d+), length (\d+)")]
    private static partial Regex IcmpEcho();
    [GeneratedRegex(@"^UDP, length (\d+)")]
    private static partial Regex Udp();
    [GeneratedRegex(@"^ICMP .*, length (\d+)")]
    private static partial Regex IcmpOther();
    [GeneratedRegex(@", length (\d+):")]
    private static partial Regex FrameLength();
}
