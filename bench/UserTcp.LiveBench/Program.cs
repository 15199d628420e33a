using System.Diagnostics;
using System.Runtime.InteropServices;
using UserTcp.Cli.Labs;
using UserTcp.LiveBench;

// UserTcp.LiveBench run [--quick] [--report FILE] [--lab NAME] [--runs N] [--commit TEXT]
//     (root) brings up its own lab, measures the live stack and writes the report (bench/run-live.sh runs this).
// UserTcp.LiveBench download|replay|send --lab NAME ...
//     one measured stack process; the run command starts these inside the lab's client namespace.
const string Usage = "usage: UserTcp.LiveBench run [--quick] [--report FILE] [--lab NAME] [--runs N] [--commit TEXT]";
if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}
string command = args[0];
try
{
    var arguments = new BenchArguments(args.Skip(1));
    return command == "run" ? RunAll(arguments) : StackRoles.Run(command, arguments);
}
catch (Exception e) when (e is BenchException or LabException)
{
    Console.Error.WriteLine($"livebench {command}: {e.Message}");
    return 1;
}

static int RunAll(BenchArguments arguments)
{
    if (!Environment.IsPrivilegedProcess) throw new BenchException("needs root (network namespaces, packet sockets, strace)");
    var missing = new[] { "ip", "tcpreplay", "tcpdump", "strace" }.Where(tool => Tool.Find(tool) is null).ToList();
    if (missing.Count > 0) throw new BenchException($"missing tools: {string.Join(", ", missing)} (bash scripts/setup.sh installs them)");
    var plan = arguments.Flag("--quick") ? BenchPlan.Quick() : BenchPlan.Full(arguments.OptionalInt("--runs") ?? 5);
    if (plan.Runs < 1) throw new BenchException("--runs must be at least 1");
    string labName = arguments.Optional("--lab") ?? "lv" + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];
    string report = arguments.Optional("--report") ?? "perf-results/live.md";
    var machine = MachineInfo.Read();
    var startedAt = DateTimeOffset.UtcNow;
    var clock = Stopwatch.StartNew();
    string work = Directory.CreateTempSubdirectory("livebench-").FullName;
    // Ctrl+C or a kill must not leave the lab behind: its namespaces would hold nginx and stack processes.
    void Interrupted(PosixSignalContext context)
    {
        context.Cancel = true;
        Console.Error.WriteLine($"livebench: interrupted; removing lab {labName}");
        Lab.Down(labName);
        Directory.Delete(work, recursive: true);
        Environment.Exit(130);
    }
    using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupted);
    using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupted);
    try
    {
        var results = new Orchestrator(plan, labName, work, line => Console.Error.WriteLine($"livebench: {line}")).Run();
        LiveReport.Write(report, results, machine with { LoadAverageAfter = MachineInfo.LoadAverage() }, arguments.Optional("--commit") ?? "unknown",
                         startedAt, clock.Elapsed);
    }
    finally
    {
        Directory.Delete(work, recursive: true);
    }
    Console.Error.WriteLine($"livebench: wrote {report} in {clock.Elapsed.TotalSeconds:0} s");
    return 0;
}
