using System.Globalization;
using System.Text.RegularExpressions;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// Brings up a TAP lab of its own (<c>--stack-link tap</c>: a persistent TAP bridged with the client veth end) and, for
/// each offload setting, runs the plan's rounds: in each, one download of the same file by each of three clients, in an
/// order rotated from round to round, every body into /dev/null: the stack on the TAP (<c>usertcp get --lab --stats</c>,
/// which attaches to the lab's TAP by itself), lwIP on the same TAP (bench/peers/lwip-get, address
/// <see cref="LwipAddress"/>), and the kernel (curl) from a temporary address on the bridge, so over the same bridge and
/// veth. Each client is a fresh process under the rusage wrapper (<see cref="ChildUsage"/>); each reported byte count must
/// be the file's, and the server namespace's counters are read around every run. The lab is always removed.
/// </summary>
internal sealed partial class TapOrchestrator(TapPlan plan, string labName, string lwipGet, string work, Action<string> progress)
{
    /// <summary>lwIP's own address on the lab's subnet: never the stack's, so the server's ARP entries never go stale between clients.</summary>
    public const string LwipAddress = "198.18.0.4";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    private static readonly TapClient[] Clients = [TapClient.Stack, TapClient.Lwip, TapClient.Kernel];
    private readonly string _devNull = Path.Combine(work, "dev-null");
    private LabInfo _lab = null!;

    /// <summary>lwIP's TCP options as lwip-get printed them (fixed when Debian built the library), after the first lwIP run.</summary>
    public string LwipTcp { get; private set; } = "";

    /// <summary>The client namespace's net.ipv4.tcp_rmem (min, default, max): the bounds of the kernel client's receive-buffer auto-tuning.</summary>
    public string KernelRmem { get; private set; } = "";

    public List<TapRun> Run()
    {
        try
        {
            progress($"lab {labName}: up with a TAP (file {plan.Size})");
            File.CreateSymbolicLink(_devNull, "/dev/null");
            var runs = new List<TapRun>();
            foreach (bool offload in plan.Offloads)
            {
                _lab = Lab.Up(new LabOptions { Name = labName, Files = plan.Size, Offload = offload, StackLink = LabStackLink.Tap }).Lab;
                KernelRmem = string.Join(' ', Tool.RunIn(_lab.ClientNetns, ["sysctl", "-n", "net.ipv4.tcp_rmem"]).Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries));
                progress($"offloads {(offload ? "on" : "off")}: {plan.Rounds} rounds of stack, lwIP and kernel, {plan.Size} each into /dev/null");
                for (int round = 1; round <= plan.Rounds; round++)
                {
                    for (int place = 0; place < Clients.Length; place++)
                        runs.Add(Measure(Clients[(round - 1 + place) % Clients.Length], offload, round, place + 1));
                }
            }
            return runs;
        }
        finally
        {
            progress($"lab {labName}: down");
            Lab.Down(labName);
        }
    }

    private TapRun Measure(TapClient client, bool offload, int round, int order)
    {
        var file = _lab.Files[plan.Size];
        string[] command = client switch
        {
            TapClient.Stack => [BuiltProgram.Usertcp, "get", file.Url, "-o", _devNull, "--lab", labName, "--stats"],
            TapClient.Lwip => ["ip", "netns", "exec", _lab.ClientNetns, lwipGet, _lab.TapIface!, $"{LwipAddress}/{_lab.Prefix}", _lab.ServerIp,
                               new Uri(file.Url).AbsolutePath, ((int)RunTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture)],
            _ => ["ip", "netns", "exec", _lab.ClientNetns, "curl", "-sS", "--fail", "--noproxy", "*", "-o", "/dev/null", "-w", "%{size_download} %{time_total}\n", file.Url],
        };
        if (client == TapClient.Kernel) KernelClient.AddAddress(_lab);
        Dictionary<string, long> before, after;
        ProcessUsage usage;
        string output, error;
        try
        {
            before = Lab.ServerCounters(labName);
            (usage, output, error) = ChildUsage.Run(command, RunTimeout);
            after = Lab.ServerCounters(labName);
        }
        finally
        {
            if (client == TapClient.Kernel) KernelClient.RemoveAddress(_lab);
        }
        string what = $"{TapRun.Name(client)} {plan.Size} (offloads {(offload ? "on" : "off")}, round {round})";
        if (usage.ExitCode != 0) throw new BenchException($"{what} exited {usage.ExitCode}:\n{output}\n{error}".TrimEnd());
        double seconds = client switch
        {
            TapClient.Stack => CompareOrchestrator.GetSeconds(what, error, file.Bytes),
            TapClient.Lwip => LwipSeconds(what, output, file.Bytes),
            _ => CompareOrchestrator.CurlSeconds(what, output, file.Bytes),
        };
        long Delta(string counter) => after.GetValueOrDefault(counter) - before.GetValueOrDefault(counter);
        return new TapRun
        {
            Client = client,
            Offload = offload,
            Size = plan.Size,
            Bytes = file.Bytes,
            Round = round,
            Order = order,
            TransferSeconds = seconds,
            WallSeconds = usage.WallSeconds,
            UserSeconds = usage.UserSeconds,
            SystemSeconds = usage.SystemSeconds,
            MaxResidentKib = usage.MaxResidentKib,
            ServerInSegments = Delta("TcpInSegs"),
            ServerRetransmissions = Delta("TcpRetransSegs"),
            ServerResets = Delta("TcpOutRsts") + Delta("TcpEstabResets"),
            Stack = client == TapClient.Stack ? StackFigures.Parse(error) : null,
        };
    }

    /// <summary>The seconds of lwip-get's line, after checking its byte count and that its driver never had to drop a truncated frame.</summary>
    private double LwipSeconds(string what, string output, long bytes)
    {
        var line = LwipLine().Match(output);
        if (!line.Success) throw new BenchException($"{what}: lwip-get printed no bytes= seconds= line:\n{output}");
        long downloaded = long.Parse(line.Groups["bytes"].Value, CultureInfo.InvariantCulture);
        if (downloaded != bytes) throw new BenchException($"{what}: lwip-get reported {downloaded} bytes, the file has {bytes}");
        if (line.Groups["truncated"].Value != "0") throw new BenchException($"{what}: lwip-get dropped {line.Groups["truncated"].Value} truncated frames:\n{output}");
        LwipTcp = $"MSS {line.Groups["mss"].Value}, window {line.Groups["wnd"].Value} bytes, window scale {line.Groups["scale"].Value}";
        return double.Parse(line.Groups["seconds"].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"bytes=(?<bytes>\d+) seconds=(?<seconds>[0-9.]+) .*mss=(?<mss>\d+) wnd=(?<wnd>\d+) wnd_scale=(?<scale>\d+) .*rx_truncated=(?<truncated>\d+)")]
    private static partial Regex LwipLine();
}
