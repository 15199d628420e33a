using System.Diagnostics;
using System.Text.RegularExpressions;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// The stack on a real link with the Linux kernel as its peer (issue: live networking): ARP both ways, ping in both
/// directions, a handshake, request and clean close with nginx (no reset in the server's counters), refused and
/// unreachable destinations, and hostile frames counted as drops. Needs root: fails, never skips, without it.
/// </summary>
public sealed partial class LiveStackLabTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static string Cli => BuiltProgram.Usertcp;

    private static ProcessResult Usertcp(params string[] args) => BuiltProgram.Run(Cli, [.. args], Timeout);

    /// <summary><c>usertcp serve</c> running in the lab for <paramref name="seconds"/>, ready once it says it is serving.</summary>
    private static BackgroundProcess Serve(string lab, double seconds)
    {
        var served = BackgroundProcess.Start(Cli,
            ["serve", "--lab", lab, "--duration", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--stats"]);
        served.WaitForLine(line => line.StartsWith("serving", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        return served;
    }

    /// <summary>Waits for the end of the serve's duration; returns everything it printed (the counters are on stderr).</summary>
    private static string Finish(BackgroundProcess served)
    {
        var result = served.WaitForExit(TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"serve exited {result.ExitCode}:\n{served.Text}");
        return served.Text;
    }

    [Fact] // ARP from the stack, answered by the kernel; ICMP echo answered; the kernel learned us from our request
    public void Stack_pings_the_kernel()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        var result = Usertcp("ping", info.ServerIp, "-c", "3", "-i", "0.2", "--lab", lab.Name);
        Assert.True(result.ExitCode == 0, result.Output + result.Error);
        Assert.Contains("3 packets transmitted, 3 received", result.Output);
        Assert.Matches(@"icmp_seq=1 ttl=64 time=[0-9.]+ ms", result.Output);
        var neighbour = Tool.RunIn(info.ServerNetns, ["ip", "neigh", "show", info.ClientIp]);
        Assert.Contains(info.ClientMac, neighbour);
    }

    [Fact] // the kernel pings the stack's address: ARP answered by the stack, then echo replies
    public void Kernel_pings_the_stack()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        using var serve = Serve(lab.Name, 6);
        var ping = Tool.TryRun(["ip", "netns", "exec", info.ServerNetns, "ping", "-c", "3", "-i", "0.2", "-W", "2", info.ClientIp]);
        string stats = Finish(serve);
        Assert.True(ping.ExitCode == 0, ping.Output + ping.Error + stats);
        Assert.Contains("3 received", ping.Output);
        Assert.Matches(@"arp replies sent\s+[1-9]", stats);
    }

    [Fact] // --lab enters the client namespace in this same process with setns(2): no second process under ip netns exec
    public void Lab_option_runs_the_stack_in_the_client_namespace_in_one_process()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        using var serve = Serve(lab.Name, 2);
        // /proc/PID/ns/net names the namespace of the process's main thread, the one that entered the lab's.
        string ours = new FileInfo($"/proc/{serve.Id}/ns/net").LinkTarget ?? "";
        string client = Tool.RunIn(info.ClientNetns, ["readlink", "/proc/self/ns/net"]).Trim();
        Finish(serve);
        Assert.Equal(client, ours);
    }

    [Theory] // a handshake with the kernel's nginx, a request, the whole reply, and a clean close on both sides
    [InlineData(true)]   // offloads on: GSO super-frames and partial checksums
    [InlineData(false)]  // offloads off: MTU-sized frames, full checksums
    public void Request_to_nginx_closes_cleanly_without_resets(bool offload)
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(files: "256K", offload: offload);
        var before = Counters(lab.Name);
        var result = Usertcp("connect", $"{info.ServerIp}:80", "--send", "GET /256K HTTP/1.0\\r\\nHost: lab\\r\\n\\r\\n", "--lab", lab.Name);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.StartsWith("HTTP/1.1 200 OK", result.Output);
        Assert.Matches(@"closed cleanly: \d+ bytes sent, (\d+) bytes received", result.Error);
        long received = long.Parse(ReceivedBytes().Match(result.Error).Groups[1].Value);
        Assert.True(received > 256 * 1024, $"only {received} bytes received");
        var after = Counters(lab.Name);
        Assert.Equal(before["TcpOutRsts"], after["TcpOutRsts"]);
        Assert.Equal(before["TcpEstabResets"], after["TcpEstabResets"]);
    }

    [Fact] // a closed port answers our SYN with a RST: refused at once
    public void Closed_port_is_refused_at_once()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        var watch = Stopwatch.StartNew();
        var result = Usertcp("connect", $"{info.ServerIp}:81", "--lab", lab.Name);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("connection refused", result.Error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact] // an address nobody holds: no ARP answer, host unreachable within a bounded time
    public void Address_nobody_holds_is_unreachable()
    {
        using var lab = new TemporaryLab();
        lab.Up();
        var watch = Stopwatch.StartNew();
        var result = Usertcp("connect", "198.18.0.99:80", "--lab", lab.Name);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("host unreachable", result.Error);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
    }

    [Fact] // hostile frames from the peer are counted as drops; a normal exchange right after still works
    public void Malformed_frames_are_counted_and_the_stack_keeps_working()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        using var serve = Serve(lab.Name, 8);
        var script = Path.Combine(AppContext.BaseDirectory, "Live", "send-junk-frames.py");
        Tool.RunIn(info.ServerNetns, ["python3", script, info.ServerIface, info.ClientMac, "2000"]);
        var ping = Tool.TryRun(["ip", "netns", "exec", info.ServerNetns, "ping", "-c", "2", "-i", "0.2", "-W", "2", info.ClientIp]);
        string stats = Finish(serve);
        Assert.True(ping.ExitCode == 0, ping.Output + ping.Error + stats);
        // Counted by the interface (by reason), or by the kernel when its capture ring was full (pcap's ps_drop).
        long dropped = DropLines().Matches(stats).Sum(m => long.Parse(m.Groups[1].Value)) + long.Parse(KernelDrops().Match(stats).Groups[1].Value);
        Assert.True(dropped >= 2000, $"every one of the 2000 hostile frames must be counted as a drop, got {dropped}:\n{stats}");
    }

    private static Dictionary<string, long> Counters(string lab) => Lab.ServerCounters(lab);

    [GeneratedRegex(@"(\d+) bytes received")]
    private static partial Regex ReceivedBytes();

    [GeneratedRegex(@"dropped: [a-z0-9-]+\s+(\d+)")]
    private static partial Regex DropLines();

    [GeneratedRegex(@"device kernel drops \(ps_drop\)\s+(\d+)")]
    private static partial Regex KernelDrops();
}
