using System.Text.Json;
using UserTcp.Testbed.Labs;

namespace UserTcp.Live.Tests.Labs;

/// <summary>Two labs side by side, and the server's kernel counters that reports check for resets.</summary>
public sealed class LabCountersTests
{
    [Fact]
    public void Two_labs_with_different_names_coexist_and_come_down_separately()
    {
        using var first = new TemporaryLab();
        using var second = new TemporaryLab();
        var a = first.Up();
        var b = second.Up(files: "128K");

        Assert.NotEqual(a.NginxPid, b.NginxPid);
        Assert.NotEqual(a.ServerMac, b.ServerMac);
        // Same addresses, separate namespaces: each nginx serves its own files.
        Assert.Equal("200", Status(a.ServerNetns, "64K"));
        Assert.Equal("404", Status(a.ServerNetns, "128K"));
        Assert.Equal("200", Status(b.ServerNetns, "128K"));

        Assert.True(Lab.Down(first.Name));
        LabShell.AssertNothingLeft(first.Name);
        Assert.Equal(b.NginxPid, Lab.Status(second.Name).NginxPid);
        Assert.Equal("200", Status(b.ServerNetns, "128K"));
    }

    [Fact]
    public void Nstat_reports_the_server_namespace_counters_including_resets()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        Assert.Equal("200", Status(info.ServerNetns, "64K"));

        var counters = Lab.ServerCounters(lab.Name);
        foreach (string counter in new[] { "TcpOutRsts", "TcpEstabResets", "TcpRetransSegs", "TcpExtTCPLostRetransmit", "IpInAddrErrors" })
            Assert.True(counters.ContainsKey(counter), $"nstat has no {counter}");
        // The download above ran inside the server namespace, so its counters (and only its own) saw it.
        Assert.True(counters["TcpPassiveOpens"] >= 1);

        var cli = LabShell.CliChecked("nstat", "--name", lab.Name, "--json");
        var parsed = JsonSerializer.Deserialize(cli.Output, LabJsonContext.Default.DictionaryStringInt64)!;
        Assert.Contains("TcpOutRsts", parsed.Keys);
        Assert.Contains("TcpOutRsts", LabShell.CliChecked("nstat", "--name", lab.Name).Output);
    }

    [Fact]
    public void Nstat_of_a_lab_that_is_not_up_fails_clearly()
    {
        using var lab = new TemporaryLab();
        Assert.Throws<LabNotUpException>(() => Lab.ServerCounters(lab.Name));
        var cli = LabShell.Cli("nstat", "--name", lab.Name);
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("is not up", cli.Error);
    }

    private static string Status(string netns, string file) =>
        Tool.RunIn(netns, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", $"http://198.18.0.1/{file}"]);
}
