using System.Runtime.InteropServices;
using UserTcp.LiveBench;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;
using UserTcp.LiveBench.Reports;
using UserTcp.LiveBench.Roles;
using UserTcp.Testbed.Labs;

// The live benchmark harness. Its parts, a folder each: Orchestration/ brings up a lab of its own and runs every case in
// fresh child processes, Roles/ are those child processes (what is measured), Measurement/ reads CPU time, system calls,
// rusage and the machine, Results/ holds what a run collected, and Reports/ writes the Markdown reports, CSV data, plots
// and the perf-results README from it.
//
// UserTcp.LiveBench run [--quick] [--report FILE] [--lab NAME] [--runs N] [--commit TEXT]
//     (root) brings up its own lab, measures the live stack and writes the report (bench/run-live.sh runs this).
// UserTcp.LiveBench compare [--quick] [--runs N] [--results DIR] [--lab NAME] [--commit TEXT]
//     (root) brings up its own lab, downloads with curl and usertcp get in alternating pairs, and writes DIR/compare.md
//     and DIR/data/compare.csv (bench/run-perf.sh runs this, then readme).
// UserTcp.LiveBench routed [--quick] [--runs N] [--results DIR] [--lab NAME] [--routed-lab NAME] [--commit TEXT]
//     (root) brings up a flat and a routed lab side by side, downloads with curl and usertcp get in alternating pairs in
//     both, interleaved, and writes DIR/routed.md and DIR/data/routed.csv (bench/run-routed.sh runs this).
// UserTcp.LiveBench tap --lwip PATH [--quick] [--runs N] [--results DIR] [--lab NAME] [--commit TEXT]
//     (root) brings up its own TAP lab, downloads with usertcp get, lwIP (bench/peers/lwip-get at PATH) and curl in
//     rotating rounds, and writes DIR/tap.md and DIR/data/tap.csv (bench/run-tap.sh runs this, then readme).
// UserTcp.LiveBench memory [--connections N[xBYTES],...] [--rate BYTES] [--report FILE] [--csv FILE] [--lab NAME] [--commit TEXT]
//     (root) brings up its own lab, measures memory per idle, active and TIME-WAIT connection of the stack used as a
//     library against a kernel listener, and writes the report and the data (bench/run-memory.sh runs this).
// UserTcp.LiveBench serve [--quick] [--runs N] [--results DIR] [--lab NAME] [--commit TEXT]
//     (root) brings up its own lab the other way round (servers in the client namespace: usertcp serve --root on the stack,
//     the same app on Kestrel over kernel sockets, nginx; clients in the server namespace: wrk, curl, python3, hping3) and
//     writes DIR/serve.md and DIR/data/serve.csv (bench/run-serve.sh runs this, then readme).
// UserTcp.LiveBench soak [--minutes N] [--max-drift PERCENT] [--report FILE] [--csv FILE] [--lab NAME] [--commit TEXT]
//     (root) brings up its own lab, runs one stack process for N minutes (downloads checked byte-exact, a slow reader, an
//     aborting client) while the link's loss and rate change, and writes the report and the samples (bench/run-soak.sh
//     runs this). Exits 1 on a failed download, or when RSS or descriptors grew by more than PERCENT.
// UserTcp.LiveBench readme [--results DIR]
//     writes DIR/README.md and DIR/plots/ from the reports and data files that exist.
// UserTcp.LiveBench ack [--quick] [--report FILE] [--csv FILE] [--lab NAME] [--commit TEXT]
//     (root) brings up its own lab, measures ACK latency under bursts inside the stack and on the wire, and writes the
//     report and the samples (bench/run-ack-latency.sh runs this).
// UserTcp.LiveBench download|replay|send|burst-server|ack-stack|ack-kernel ...
//     one process of a measurement; the run and ack commands start these inside the lab's namespaces.
// UserTcp.LiveBench rusage COMMAND [ARGS...]
//     runs COMMAND and prints its CPU time and peak memory (the compare command measures each client under it).
const string usage = "usage: UserTcp.LiveBench run|compare|routed|tap|ack|memory|serve|soak [--quick] [--runs N] ... | readme [--results DIR]";
if (args.Length == 0)
{
    Console.Error.WriteLine(usage);
    return 2;
}
string command = args[0];
try
{
    if (command == "rusage") return ChildUsage.RunAndReport(args[1..]);
    var arguments = new BenchArguments(args.Skip(1));
    return command switch
    {
        "run" => RunAll(arguments),
        "compare" => Compare(arguments),
        "routed" => Routed(arguments),
        "tap" => Tap(arguments),
        "readme" => Readme(arguments),
        "ack" => AckLatency(arguments),
        "memory" => Memory(arguments),
        "serve" => Serve(arguments),
        "soak" => Soak(arguments),
        _ => StackRoles.Run(command, arguments),
    };
}
catch (Exception e) when (e is BenchException or LabException)
{
    Console.Error.WriteLine($"livebench {command}: {e.Message}");
    return 1;
}

static int RunAll(BenchArguments arguments)
{
    RequireRootAndTools("network namespaces, packet sockets, strace", "ip", "tcpreplay", "tcpdump", "strace");
    var plan = arguments.Flag("--quick") ? LivePlan.Quick() : LivePlan.Full(arguments.OptionalInt("--runs") ?? 5);
    if (plan.Runs < 1) throw new BenchException("--runs must be at least 1");
    string labName = LabName(arguments, "lv");
    string report = arguments.Optional("--report") ?? "perf-results/live.md";
    var start = new RunStart();
    var results = InOwnLab([labName], Directory.CreateTempSubdirectory("livebench-").FullName,
                           work => new LiveOrchestrator(plan, labName, work, Progress).Run());
    LiveReport.Write(report, results, start.MachineAfter(), arguments.Optional("--commit") ?? "unknown",
                     start.At, start.Elapsed);
    Console.Error.WriteLine($"livebench: wrote {report} in {start.Elapsed.TotalSeconds:0} s");
    return 0;
}

static int Compare(BenchArguments arguments)
{
    RequireRootAndTools("network namespaces, the lab's nginx", "ip", "curl", "time");
    int? pairs = arguments.OptionalInt("--runs");
    var plan = arguments.Flag("--quick") ? ComparePlan.Quick(pairs ?? ComparePlan.QuickPairs) : ComparePlan.Full(pairs ?? ComparePlan.FullPairs);
    if (plan.Pairs < 1) throw new BenchException("--runs must be at least 1");
    string labName = LabName(arguments, "pf");
    string results = arguments.Optional("--results") ?? "perf-results";
    var start = new RunStart();
    // Bodies go to tmpfs, so neither client waits for a disk; each is deleted once its digest is checked.
    var runs = InOwnLab([labName], Directory.CreateDirectory($"/dev/shm/usertcp-perf-{labName}").FullName,
                        work => new CompareOrchestrator(plan, new Dictionary<LabTopology, string> { [LabTopology.Flat] = labName }, work, Progress).Run());
    CompareCsv.Write(Path.Combine(results, ResultsReadme.CompareData), runs);
    CompareReport.Write(Path.Combine(results, "compare.md"), plan, runs, start.MachineAfter(),
                        arguments.Optional("--commit") ?? "unknown", start.At, start.Elapsed, Path.Combine(results, "live.md"));
    Console.Error.WriteLine($"livebench: wrote {Path.Combine(results, "compare.md")} and {Path.Combine(results, ResultsReadme.CompareData)} in {start.Elapsed.TotalSeconds:0} s");
    return 0;
}

static int Routed(BenchArguments arguments)
{
    RequireRootAndTools("network namespaces, the labs' nginx, router and dnsmasq", "ip", "curl", "time", "dnsmasq", "nft");
    int? pairs = arguments.OptionalInt("--runs");
    var plan = arguments.Flag("--quick") ? ComparePlan.RoutedQuick(pairs ?? ComparePlan.QuickPairs) : ComparePlan.Routed(pairs ?? ComparePlan.RoutedFullPairs);
    if (plan.Pairs < 1) throw new BenchException("--runs must be at least 1");
    var labNames = new Dictionary<LabTopology, string> { [LabTopology.Flat] = LabName(arguments, "rf"), [LabTopology.Routed] = LabName(arguments, "rr", "--routed-lab") };
    if (labNames[LabTopology.Flat] == labNames[LabTopology.Routed]) throw new BenchException("--lab and --routed-lab must name two labs");
    string results = arguments.Optional("--results") ?? "perf-results";
    var start = new RunStart();
    var runs = InOwnLab([.. labNames.Values], Directory.CreateTempSubdirectory("livebench-routed-").FullName,
                        work => new CompareOrchestrator(plan, labNames, work, Progress).Run());
    string report = Path.Combine(results, "routed.md"), csv = Path.Combine(results, RoutedReport.Data);
    CompareCsv.Write(csv, runs, topology: true);
    var verdicts = RoutedReport.Write(report, plan, runs, start.MachineAfter(), arguments.Optional("--commit") ?? "unknown", start.At, start.Elapsed);
    Console.Error.WriteLine($"livebench: wrote {report} and {csv} in {start.Elapsed.TotalSeconds:0} s");
    foreach (string verdict in verdicts) Console.Error.WriteLine($"routed: {verdict}");
    return 0;
}

static int Tap(BenchArguments arguments)
{
    RequireRootAndTools("network namespaces, a TAP, the lab's nginx", "ip", "curl", "time");
    int? rounds = arguments.OptionalInt("--runs");
    var plan = arguments.Flag("--quick") ? TapPlan.Quick(rounds ?? TapPlan.QuickRounds) : TapPlan.Full(rounds ?? TapPlan.FullRounds);
    if (plan.Rounds < 1) throw new BenchException("--runs must be at least 1");
    string lwipGet = Path.GetFullPath(arguments.Required("--lwip"));
    if (!File.Exists(lwipGet)) throw new BenchException($"--lwip {lwipGet}: no such program (make -C bench/peers/lwip-get builds it)");
    string labName = LabName(arguments, "tp");
    string results = arguments.Optional("--results") ?? "perf-results";
    var start = new RunStart();
    TapOrchestrator orchestrator = null!;
    var runs = InOwnLab([labName], Directory.CreateTempSubdirectory("livebench-tap-").FullName,
                        work => (orchestrator = new TapOrchestrator(plan, labName, lwipGet, work, Progress)).Run());
    string report = Path.Combine(results, "tap.md"), csv = Path.Combine(results, ResultsReadme.TapData);
    TapReport.Write(report, csv, plan, runs, orchestrator, start.MachineAfter(), arguments.Optional("--commit") ?? "unknown", start.At, start.Elapsed);
    Console.Error.WriteLine($"livebench: wrote {report} and {csv} in {start.Elapsed.TotalSeconds:0} s");
    return 0;
}

static int AckLatency(BenchArguments arguments)
{
    RequireRootAndTools("network namespaces, packet sockets, tcpdump", "ip", "tcpdump", "sysctl");
    var plan = arguments.Flag("--quick") ? AckLatencyPlan.Quick() : AckLatencyPlan.Full();
    string labName = LabName(arguments, "ak");
    string report = arguments.Optional("--report") ?? "perf-results/ack-latency.md";
    string csv = arguments.Optional("--csv") ?? Path.Combine("perf-results", ResultsReadme.AckLatencyData);
    var start = new RunStart();
    var results = InOwnLab([labName], Directory.CreateTempSubdirectory("livebench-").FullName,
                           work => new AckLatencyOrchestrator(plan, labName, work, Progress).Run());
    AckLatencyReport.Write(report, csv, results, start.MachineAfter(), arguments.Optional("--commit") ?? "unknown",
                           start.At, start.Elapsed);
    Console.Error.WriteLine($"livebench: wrote {report} and {csv} in {start.Elapsed.TotalSeconds:0} s");
    return 0;
}

static int Memory(BenchArguments arguments)
{
    RequireRootAndTools("network namespaces, packet sockets", "ip", "python3");
    var plan = MemoryPlan.Parse(arguments.Optional("--connections") ?? "1000,10000", arguments.OptionalInt("--rate") ?? 64 * 1024);
    string labName = LabName(arguments, "m2");
    string report = arguments.Optional("--report") ?? "perf-results/memory.md";
    string csv = arguments.Optional("--csv") ?? "perf-results/data/memory.csv";
    var start = new RunStart();
    var runs = new MemoryOrchestrator(plan, labName, Progress).Run();
    MemoryReport.Write(report, csv, runs, arguments.Optional("--commit") ?? "unknown", start.At, start.Elapsed);
    Console.Error.WriteLine($"livebench: wrote {report} and {csv} in {start.Elapsed.TotalSeconds:0} s");
    return 0;
}

static int Serve(BenchArguments arguments)
{
    RequireRootAndTools("network namespaces, the lab's nginx, a SYN flood", "ip", "nginx", "curl", "wrk", "hping3", "python3", "nft");
    int? rounds = arguments.OptionalInt("--runs");
    var plan = arguments.Flag("--quick") ? ServePlan.Quick(rounds ?? 1) : ServePlan.Full(rounds ?? 3);
    if (plan.Rounds < 1) throw new BenchException("--runs must be at least 1");
    string labName = LabName(arguments, "sb");
    string results = arguments.Optional("--results") ?? "perf-results";
    var start = new RunStart();
    ServeOrchestrator orchestrator = null!;
    var samples = InOwnLab([labName], Directory.CreateTempSubdirectory("livebench-serve-").FullName,
                           work => (orchestrator = new ServeOrchestrator(plan, labName, work, Progress)).Run());
    string report = Path.Combine(results, "serve.md"), csv = Path.Combine(results, ResultsReadme.ServeData);
    ServeReport.Write(report, csv, plan, samples, orchestrator.Servers, orchestrator.Notes, start.MachineAfter(),
                      arguments.Optional("--commit") ?? "unknown", start.At, start.Elapsed);
    Console.Error.WriteLine($"livebench: wrote {report} and {csv} in {start.Elapsed.TotalSeconds:0} s");
    return 0;
}

static int Soak(BenchArguments arguments)
{
    RequireRootAndTools("network namespaces, packet sockets, the lab's nginx, loss and rate limits", "ip", "nginx", "nft", "tc");
    var plan = new SoakPlan(arguments.OptionalInt("--minutes") ?? 60, arguments.OptionalInt("--seed") ?? Random.Shared.Next());
    if (plan.Minutes < 1) throw new BenchException("--minutes must be at least 1");
    string labName = LabName(arguments, "sk");
    string report = arguments.Optional("--report") ?? "perf-results/soak.md";
    string csv = arguments.Optional("--csv") ?? "perf-results/data/soak.csv";
    var start = new RunStart();
    var orchestrator = new SoakOrchestrator(plan, labName, Progress);
    var run = InOwnLab([labName], Directory.CreateTempSubdirectory("livebench-soak-").FullName, _ => orchestrator.Run());
    var verdict = SoakVerdict.Of(run.Samples);
    SoakReport.Write(report, csv, plan, run, orchestrator.Conditions, verdict, start.MachineAfter(), arguments.Optional("--commit") ?? "unknown", start.At, start.Elapsed);
    Console.Error.WriteLine($"livebench: wrote {report} and {csv} in {start.Elapsed.TotalSeconds:0} s");
    Console.Error.WriteLine($"soak: {verdict.Failed} failed downloads; drift over the run: RSS {verdict.RssDrift:+0.0;-0.0;0.0} %, descriptors {verdict.DescriptorDrift:+0.0;-0.0;0.0} %, " +
                            $"heap {verdict.HeapDrift:+0.0;-0.0;0.0} %, threads {verdict.ThreadDrift:+0.0;-0.0;0.0} %; targets {(verdict.Passed ? "met" : "NOT met")}");
    foreach (string failure in run.Failures) Console.Error.WriteLine($"soak: failed: {failure}");
    bool leaked = arguments.OptionalInt("--max-drift") is { } bound && verdict.Leaks(bound);
    if (leaked) Console.Error.WriteLine($"soak: RSS or descriptors grew by more than {arguments.OptionalInt("--max-drift")} %");
    return verdict.Failed > 0 || leaked ? 1 : 0;
}

static int Readme(BenchArguments arguments)
{
    string results = arguments.Optional("--results") ?? "perf-results";
    ResultsReadme.Write(results);
    Console.Error.WriteLine($"livebench: wrote {Path.Combine(results, "README.md")}");
    return 0;
}

static void RequireRootAndTools(string needs, params string[] tools)
{
    if (!Environment.IsPrivilegedProcess) throw new BenchException($"needs root ({needs})");
    var missing = tools.Where(tool => Tool.Find(tool) is null).ToList();
    if (missing.Count > 0) throw new BenchException($"missing tools: {string.Join(", ", missing)} (bash scripts/setup.sh installs them)");
}

static string LabName(BenchArguments arguments, string prefix, string option = "--lab") =>
    arguments.Optional(option) ?? prefix + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];

static void Progress(string line) => Console.Error.WriteLine($"livebench: {line}");

// Runs a measurement in labs labNames with a work directory, all removed when it ends, and when Ctrl+C or a kill
// interrupts it: the labs' namespaces would otherwise keep nginx and client processes alive.
static T InOwnLab<T>(string[] labNames, string work, Func<string, T> measure)
{
    void Interrupted(PosixSignalContext context)
    {
        context.Cancel = true;
        Console.Error.WriteLine($"livebench: interrupted; removing lab {string.Join(" and ", labNames)}");
        foreach (string labName in labNames) Lab.Down(labName);
        Directory.Delete(work, recursive: true);
        Environment.Exit(130);
    }
    using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupted);
    using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupted);
    try
    {
        return measure(work);
    }
    finally
    {
        Directory.Delete(work, recursive: true);
    }
}
