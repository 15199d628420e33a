using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// Brings up a lab of its own per topology of the plan (side by side, each serving every size of the plan) and, for each
/// offload setting and size, runs the plan's pairs of downloads in each: curl (kernel sockets) and <c>usertcp get --stats</c>
/// (the user-space stack, run as a user runs it, re-entering the client namespace itself), alternating which goes first.
/// In the flat lab curl runs from a temporary kernel address on the client veth, as the veth has none; in the routed lab
/// from the client namespace's own kernel address (<see cref="RoutedLab.ClientKernelIp"/>), through the same router as the
/// stack. Every pair is run once per sink of the plan and lab, both clients into the same sink: /dev/null (each client's
/// reported byte count must equal the file's) and a file in tmpfs (the body must also match the served file's SHA-256).
/// Any mismatch fails the run. Each client is a fresh process under the rusage wrapper (<see cref="ChildUsage"/>); the
/// server namespace's counters are read around every run. After the pairs of a size, when the plan has the file sink, dd
/// writes as many bytes into tmpfs alone, as often: what the file sink costs without a network. Then the plan's uploads
/// (in the first lab): each size copied once from the lab's web root into tmpfs, the one source both clients read, and PUT
/// in alternating pairs by <c>curl -T</c> and <c>usertcp put --stats</c> to the lab's upload sink
/// (<see cref="UploadSink.CountPath"/>: it counts the body, and each client's response must say the file's size). The
/// labs are always removed.
/// </summary>
internal sealed partial class CompareOrchestrator(ComparePlan plan, IReadOnlyDictionary<LabTopology, string> labNames, string bodyDirectory, Action<string> progress)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    private readonly string _files = string.Join(',', plan.Sizes.Union(plan.UploadSizes));
    /// <summary>
    /// What both clients get as <c>-o</c> for the /dev/null sink: a symbolic link to it. Writes go to the device all the
    /// same; when <c>usertcp get</c> fails mid-body it deletes its partial output, and as root that must be this link,
    /// never the device itself.
    /// </summary>
    private readonly string _devNull = Path.Combine(bodyDirectory, "dev-null");
    /// <summary>The labs as they are up, one per topology of the plan.</summary>
    private readonly Dictionary<LabTopology, LabInfo> _labs = [];

    /// <summary>The lab of the plan's first topology: the one uploads and the tmpfs write alone run in.</summary>
    private LabInfo FirstLab => _labs[plan.Topologies[0]];

    public List<TransferRun> Run()
    {
        try
        {
            var runs = new List<TransferRun>();
            File.CreateSymbolicLink(_devNull, "/dev/null");
            // Topologies and sinks interleaved, their order reversed every other pair like the clients', so drift over the
            // run touches every table alike.
            var conditions = plan.Topologies.SelectMany(topology => plan.Sinks.Select(sink => (Topology: topology, Sink: sink))).ToList();
            foreach (bool offload in plan.Offloads)
            {
                foreach (var topology in plan.Topologies)
                {
                    progress($"lab {labNames[topology]} ({Lab.TopologyText(topology)}): up with offloads {(offload ? "on" : "off")} (files {_files})");
                    _labs[topology] = Lab.Up(new LabOptions { Name = labNames[topology], Files = _files, Offload = offload, Topology = topology }).Lab;
                }
                foreach (string size in plan.Sizes)
                {
                    progress($"offloads {(offload ? "on" : "off")}, {size}: {plan.Pairs} pairs into each of {string.Join(", ", plan.Sinks.Select(SinkName))}" +
                             (plan.Topologies.Length > 1 ? $" in each of the {string.Join(" and ", plan.Topologies.Select(Lab.TopologyText))} labs" : ""));
                    for (int pair = 1; pair <= plan.Pairs; pair++)
                    {
                        var first = pair % 2 == 1 ? ClientSide.Kernel : ClientSide.Stack;
                        foreach (var (topology, sink) in pair % 2 == 1 ? conditions : Enumerable.Reverse(conditions))
                        {
                            runs.Add(Measure(first, topology, sink, offload, size, pair, order: 1));
                            runs.Add(Measure(first == ClientSide.Kernel ? ClientSide.Stack : ClientSide.Kernel, topology, sink, offload, size, pair, order: 2));
                        }
                    }
                    if (size == ComparePlan.ReferenceSize || !plan.Sinks.Contains(BodySink.TmpfsFile)) continue;
                    for (int run = 1; run <= plan.Pairs; run++) runs.Add(MeasureSink(offload, size, run));
                }
                foreach (string size in plan.UploadSizes)
                {
                    progress($"offloads {(offload ? "on" : "off")}, {size}: {plan.Pairs} pairs of uploads from a tmpfs file");
                    string source = UploadSource(size);
                    for (int pair = 1; pair <= plan.Pairs; pair++)
                    {
                        var first = pair % 2 == 1 ? ClientSide.Kernel : ClientSide.Stack;
                        runs.Add(MeasureUpload(first, offload, size, source, pair, order: 1));
                        runs.Add(MeasureUpload(first == ClientSide.Kernel ? ClientSide.Stack : ClientSide.Kernel, offload, size, source, pair, order: 2));
                    }
                }
            }
            return runs;
        }
        finally
        {
            foreach (string size in plan.UploadSizes) File.Delete(UploadSourcePath(size));
            foreach (string labName in labNames.Values)
            {
                progress($"lab {labName}: down");
                Lab.Down(labName);
            }
        }
    }

    private string UploadSourcePath(string size) => Path.Combine(bodyDirectory, $"upload-{size}.source");

    /// <summary>The lab's file of <paramref name="size"/> copied once into tmpfs: what both clients upload, read from memory.</summary>
    private string UploadSource(string size)
    {
        string source = UploadSourcePath(size);
        if (!File.Exists(source)) File.Copy(Path.Combine(LabNames.For(FirstLab.Name).WebRoot, size), source);
        return source;
    }

    /// <summary>
    /// One upload of <paramref name="source"/> to the counting sink of the plan's first lab: curl -T from the kernel's
    /// address, or <c>usertcp put</c>. The client's own byte count and the count the server answered with must both be the file's.
    /// </summary>
    private TransferRun MeasureUpload(ClientSide side, bool offload, string size, string source, int pair, int order)
    {
        var lab = FirstLab;
        var file = lab.Files[size];
        string url = UploadSink.BaseUrlOn(lab.ServerIp) + UploadSink.CountPath;
        string response = Path.Combine(bodyDirectory, "upload.response");
        string[] command = side == ClientSide.Kernel
            ? ["ip", "netns", "exec", lab.ClientNetns, "curl", "-sS", "--fail", "--noproxy", "*", "-T", source, "-o", response, "-w", "%{size_upload} %{time_total}\n", url]
            : [BuiltProgram.Usertcp, "put", url, source, "-o", response, "--lab", lab.Name, "--stats"];
        string what = $"{UploadName(side)} {size} (offloads {(offload ? "on" : "off")}, pair {pair})";
        var (usage, output, error, serverDelta, clientRetransmissions) = Execute(side, lab, command, what);
        double transferSeconds = side == ClientSide.Kernel ? CurlSeconds(what, output, file.Bytes) : GetSeconds(what, error, file.Bytes);
        string answer = File.Exists(response) ? File.ReadAllText(response) : "";
        File.Delete(response);
        var counted = ServerCount().Match(answer);
        if (!counted.Success || long.Parse(counted.Groups["bytes"].Value, CultureInfo.InvariantCulture) != file.Bytes)
            throw new BenchException($"{what}: the server counted {(counted.Success ? counted.Groups["bytes"].Value : "nothing")} bytes, the file has {file.Bytes}; it answered: {answer}");
        var stack = side == ClientSide.Stack ? StackFigures.Parse(error) : null;
        return FromUsage(side, BodySink.DevNull, offload, size, file.Bytes, pair, order, transferSeconds, usage) with
        {
            Direction = TransferDirection.Upload,
            Topology = plan.Topologies[0],
            ServerInSegments = serverDelta("TcpInSegs"),
            ServerRetransmissions = serverDelta("TcpRetransSegs"),
            ServerResets = serverDelta("TcpOutRsts") + serverDelta("TcpEstabResets"),
            ClientRetransmissions = stack?.Retransmissions ?? clientRetransmissions,
            Stack = stack,
        };
    }

    /// <summary>
    /// Runs one client under the rusage wrapper in <paramref name="lab"/>, the kernel's in a flat lab from its temporary
    /// address (a routed lab's client namespace holds one of its own), with the server's and the client namespace's counters
    /// read around it; a non-zero exit fails the measurement.
    /// </summary>
    private static (ProcessUsage Usage, string Output, string Error, Func<string, long> ServerDelta, long ClientRetransmissions) Execute(ClientSide side, LabInfo lab, string[] command, string what)
    {
        bool temporaryAddress = side == ClientSide.Kernel && lab.Topology == Lab.TopologyText(LabTopology.Flat);
        if (temporaryAddress) KernelClient.AddAddress(lab);
        Dictionary<string, long> before, after, clientBefore, clientAfter;
        ProcessUsage usage;
        string output, error;
        try
        {
            before = Lab.ServerCounters(lab.Name);
            clientBefore = Lab.ClientCounters(lab.Name);
            (usage, output, error) = ChildUsage.Run(command, RunTimeout);
            after = Lab.ServerCounters(lab.Name);
            clientAfter = Lab.ClientCounters(lab.Name);
        }
        finally
        {
            if (temporaryAddress) KernelClient.RemoveAddress(lab);
        }
        if (usage.ExitCode != 0) throw new BenchException($"{what} exited {usage.ExitCode}:\n{output}\n{error}".TrimEnd());
        long ServerDelta(string counter) => after.GetValueOrDefault(counter) - before.GetValueOrDefault(counter);
        return (usage, output, error, ServerDelta, clientAfter.GetValueOrDefault("TcpRetransSegs") - clientBefore.GetValueOrDefault("TcpRetransSegs"));
    }

    private TransferRun Measure(ClientSide side, LabTopology topology, BodySink sink, bool offload, string size, int pair, int order)
    {
        var lab = _labs[topology];
        var file = lab.Files[size];
        string body = sink == BodySink.DevNull ? _devNull : Path.Combine(bodyDirectory, side == ClientSide.Kernel ? "kernel.body" : "stack.body");
        string[] command = side == ClientSide.Kernel
            ? ["ip", "netns", "exec", lab.ClientNetns, "curl", "-sS", "--fail", "--noproxy", "*", "-o", body, "-w", "%{size_download} %{time_total}\n", file.Url]
            : [BuiltProgram.Usertcp, "get", file.Url, "-o", body, "--lab", lab.Name, "--stats"];
        string what = $"{Name(side)} {size} into {SinkName(sink)} ({lab.Topology} lab, offloads {(offload ? "on" : "off")}, pair {pair})";
        var (usage, output, error, serverDelta, clientRetransmissions) = Execute(side, lab, command, what);
        // The byte count each client reports, checked in both sinks; the file's bytes themselves as well in the file sink.
        double transferSeconds = side == ClientSide.Kernel ? CurlSeconds(what, output, file.Bytes) : GetSeconds(what, error, file.Bytes);
        if (sink == BodySink.TmpfsFile) RequireByteExact(what, body, file);
        var stack = side == ClientSide.Stack ? StackFigures.Parse(error) : null;
        return FromUsage(side, sink, offload, size, file.Bytes, pair, order, transferSeconds, usage) with
        {
            Topology = topology,
            ServerInSegments = serverDelta("TcpInSegs"),
            ServerOutSegments = serverDelta("TcpOutSegs"),
            ServerRetransmissions = serverDelta("TcpRetransSegs"),
            ServerResets = serverDelta("TcpOutRsts") + serverDelta("TcpEstabResets"),
            ClientRetransmissions = stack?.Retransmissions ?? clientRetransmissions,
            Stack = stack,
        };
    }

    /// <summary>
    /// The body's sink alone: dd writes as many zero bytes into the same tmpfs folder, 1 MiB per write(2). Both clients
    /// pay for this copy into the page cache: curl on the thread that receives, usertcp get on its application thread
    /// while the poll thread receives.
    /// </summary>
    private TransferRun MeasureSink(bool offload, string size, int run)
    {
        long bytes = FirstLab.Files[size].Bytes;
        string body = Path.Combine(bodyDirectory, "sink.body");
        var (usage, output, error) = ChildUsage.Run(["dd", "if=/dev/zero", $"of={body}", "bs=1M", $"count={bytes}", "iflag=count_bytes", "status=none"], RunTimeout);
        long written = File.Exists(body) ? new FileInfo(body).Length : 0;
        File.Delete(body);
        if (usage.ExitCode != 0 || written != bytes)
            throw new BenchException($"dd wrote {written} of {bytes} bytes (exit {usage.ExitCode}):\n{output}\n{error}".TrimEnd());
        return FromUsage(ClientSide.Sink, BodySink.TmpfsFile, offload, size, bytes, run, order: 1, transferSeconds: usage.WallSeconds, usage);
    }

    /// <summary>A run as its process's usage describes it; the server's counters are left at 0 for the caller to fill in.</summary>
    private static TransferRun FromUsage(ClientSide side, BodySink sink, bool offload, string size, long bytes, int pair, int order, double transferSeconds, ProcessUsage usage) => new()
    {
        Offload = offload,
        Sink = sink,
        Size = size,
        Bytes = bytes,
        Pair = pair,
        Order = order,
        Side = side,
        TransferSeconds = transferSeconds,
        WallSeconds = usage.WallSeconds,
        UserSeconds = usage.UserSeconds,
        SystemSeconds = usage.SystemSeconds,
        MaxResidentKib = usage.MaxResidentKib,
        ServerInSegments = 0,
        ServerRetransmissions = 0,
        ServerResets = 0,
    };

    public static string Name(ClientSide side) => side switch
    {
        ClientSide.Kernel => "kernel (curl)",
        ClientSide.Stack => "stack (usertcp get)",
        _ => "tmpfs write alone (dd)",
    };

    public static string UploadName(ClientSide side) => side == ClientSide.Kernel ? "kernel (curl -T)" : "stack (usertcp put)";

    public static string SinkName(BodySink sink) => sink == BodySink.DevNull ? "/dev/null" : "a tmpfs file";

    /// <summary>A wrong or short body fails the whole measurement, loudly: its figures would be meaningless.</summary>
    private static void RequireByteExact(string what, string body, LabFile file)
    {
        var info = new FileInfo(body);
        if (!info.Exists || info.Length != file.Bytes)
            throw new BenchException($"{what}: the body has {(info.Exists ? info.Length : 0)} bytes, the served file {file.Bytes}");
        string digest;
        using (var stream = info.OpenRead()) digest = Convert.ToHexStringLower(SHA256.HashData(stream));
        info.Delete();
        if (digest != file.Sha256) throw new BenchException($"{what}: the body is NOT byte-exact: SHA-256 {digest}, served file {file.Sha256}");
    }

    /// <summary>The seconds of curl's <c>-w "%{size_download} %{time_total}"</c> (or size_upload) line, after checking its byte count.</summary>
    internal static double CurlSeconds(string what, string output, long bytes)
    {
        string[] written = output.Trim().Split('\n')[^1].Split(' ');
        if (written.Length != 2 || !long.TryParse(written[0], CultureInfo.InvariantCulture, out long downloaded)
            || !double.TryParse(written[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
            throw new BenchException($"{what}: curl printed no size_download and time_total:\n{output}");
        if (downloaded != bytes) throw new BenchException($"{what}: curl reported {downloaded} bytes, the file has {bytes}");
        return seconds;
    }

    /// <summary>The seconds of usertcp get's (or put's) summary line ("URL: N bytes in S s, …"), after checking its byte count.</summary>
    internal static double GetSeconds(string what, string error, long bytes)
    {
        var summary = GetSummary().Match(error);
        if (!summary.Success) throw new BenchException($"{what}: no summary line from usertcp get:\n{error}");
        if (long.Parse(summary.Groups["bytes"].Value, CultureInfo.InvariantCulture) != bytes)
            throw new BenchException($"{what}: usertcp get reported {summary.Groups["bytes"].Value} bytes, the file has {bytes}");
        return double.Parse(summary.Groups["seconds"].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@": (?<bytes>\d+) bytes in (?<seconds>[0-9.]+) s,")]
    private static partial Regex GetSummary();

    /// <summary>The upload sink's answer: <c>{"bytes": N}</c>.</summary>
    [GeneratedRegex(@"""bytes"": (?<bytes>\d+)")]
    private static partial Regex ServerCount();
}
