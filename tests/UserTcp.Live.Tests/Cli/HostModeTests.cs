using System.Diagnostics;
using System.Text.RegularExpressions;
using UserTcp.Fast.Tcp;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Cli;

/// <summary>
/// <c>--ip host</c> (issue 13, item 2): <c>usertcp get</c> shares the client kernel's own address of its veth, with ports
/// reserved from the kernel and an nftables table keeping them from it. Downloads are byte-exact with no RST from the
/// client kernel while the kernel's own curl keeps working; the host's changes go on exit, on SIGTERM, and after a SIGKILL
/// with the next run; two runs at once get disjoint ranges. Needs root: fails, never skips, without it.
/// </summary>
public sealed partial class HostModeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public void Get_shares_the_kernels_address_without_resets_while_the_kernels_curl_works()
    {
        using var pair = new HostModePair(16 << 20, rate: "200mbit");
        string output = TemporaryPath();
        try
        {
            long resets = pair.ClientResets();
            using var curl = pair.Client.Start("curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}\n", pair.Url);
            var get = ProcessRunner.Run("ip", ["netns", "exec", pair.Client.Name, .. pair.GetArguments(output)], Timeout);
            var curled = curl.WaitForExit(Timeout);

            Assert.True(get.ExitCode == 0, $"get --ip host exited {get.ExitCode}:\n{get.Error}");
            Assert.True(pair.IsTheFile(output), $"the body differs from the served file:\n{get.Error}");
            Assert.Contains($"sharing {HostModePair.ClientAddress}/24 of {pair.ClientInterface} with the kernel", get.Error);
            Assert.Equal($"200 {pair.FileBytes}", curled.Output.Trim());
            Assert.Equal(resets, pair.ClientResets());
            Assert.Equal("", pair.HostTables);
            Assert.Equal("", pair.ReservedPorts);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void A_run_killed_mid_download_is_cleaned_up_by_the_next()
    {
        using var pair = new HostModePair(32 << 20, rate: "40mbit");
        string killedOutput = TemporaryPath(), output = TemporaryPath();
        try
        {
            using (var killed = pair.Client.Start(pair.GetArguments(killedOutput)))
            {
                WaitUntil(() => new FileInfo(killedOutput) is { Exists: true, Length: > 1 << 20 }, killed);
                Process.GetProcessById(killed.Id).Kill();
                killed.WaitForExit(Timeout);
            }
            string stale = pair.ReservedPorts;
            Assert.True(PortRange.TryParse(stale, out _), $"a killed run leaves its reservation: '{stale}'");
            Assert.Contains("usertcp_host_", pair.HostTables);

            var next = ProcessRunner.Run("ip", ["netns", "exec", pair.Client.Name, .. pair.GetArguments(output)], Timeout);

            Assert.True(next.ExitCode == 0, $"the next get exited {next.ExitCode}:\n{next.Error}");
            Assert.True(pair.IsTheFile(output));
            Assert.Contains($"reserved ports {stale}", next.Error);
            Assert.Equal("", pair.HostTables);
            Assert.Equal("", pair.ReservedPorts);
        }
        finally
        {
            File.Delete(killedOutput);
            File.Delete(output);
        }
    }

    [Fact]
    public void Sigterm_removes_the_table_and_the_reservation()
    {
        using var pair = new HostModePair(32 << 20, rate: "40mbit");
        string output = TemporaryPath();
        try
        {
            using var get = pair.Client.Start(pair.GetArguments(output));
            WaitUntil(() => new FileInfo(output) is { Exists: true, Length: > 1 << 20 }, get);
            Assert.Contains("usertcp_host_", pair.HostTables);
            ProcessRunner.RunChecked("kill", ["-TERM", get.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], Timeout);
            get.WaitForExit(Timeout);

            Assert.Equal("", pair.HostTables);
            Assert.Equal("", pair.ReservedPorts);
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public void Two_runs_at_once_get_disjoint_ranges_and_both_succeed()
    {
        using var pair = new HostModePair(16 << 20, rate: "100mbit");
        string first = TemporaryPath(), second = TemporaryPath();
        try
        {
            long resets = pair.ClientResets();
            using var one = pair.Client.Start(pair.GetArguments(first));
            using var two = pair.Client.Start(pair.GetArguments(second));
            var results = new[] { one.WaitForExit(Timeout), two.WaitForExit(Timeout) };

            var ranges = results.Select(r =>
            {
                Assert.True(r.ExitCode == 0, $"a concurrent get exited {r.ExitCode}:\n{r.Error}");
                var match = ReservedRange().Match(r.Error);
                Assert.True(match.Success && PortRange.TryParse(match.Groups[1].Value, out _), r.Error);
                PortRange.TryParse(match.Groups[1].Value, out var range);
                return range;
            }).ToArray();
            Assert.True(ranges[0].Last < ranges[1].First || ranges[1].Last < ranges[0].First, $"overlapping ranges {ranges[0]} and {ranges[1]}");
            Assert.True(pair.IsTheFile(first) && pair.IsTheFile(second));
            Assert.Equal(resets, pair.ClientResets());
            Assert.Equal("", pair.HostTables);
            Assert.Equal("", pair.ReservedPorts);
        }
        finally
        {
            File.Delete(first);
            File.Delete(second);
        }
    }

    [Fact]
    public void An_interface_without_an_ipv4_address_is_refused_clearly()
    {
        using var pair = new HostModePair(1024);
        pair.Client.Exec("ip", "addr", "flush", "dev", pair.ClientInterface);
        var result = ProcessRunner.Run("ip", ["netns", "exec", pair.Client.Name, .. pair.GetArguments(TemporaryPath())], Timeout);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{pair.ClientInterface}: the kernel holds no IPv4 address on it to share", result.Error);
        Assert.Equal("", pair.HostTables);
    }

    private static string TemporaryPath() => Path.Combine(Path.GetTempPath(), $"usertcp-hostmode-{Guid.NewGuid():N}");

    private static void WaitUntil(Func<bool> condition, BackgroundProcess process)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.False(process.HasExited, $"the get ended before the condition held:\n{process.Text}");
            Assert.True(watch.Elapsed < Timeout, $"no progress within {Timeout}:\n{process.Text}");
            Thread.Sleep(20);
        }
    }

    [GeneratedRegex(@"ports (\d+-\d+) reserved from it")]
    private static partial Regex ReservedRange();
}
