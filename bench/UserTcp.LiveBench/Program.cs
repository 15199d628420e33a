using System.Diagnostics;
using UserTcp.Cli.Labs;
using UserTcp.LiveBench;

// UserTcp.LiveBench run [--quick] [--report FILE] [--lab NAME] [--runs N] [--commit TEXT]
//     (root) brings up its own lab, measures the live stack and writes the report (bench/run-live.sh runs this).
// UserTcp.LiveBench ack [--quick] [--report FILE] [--csv FILE] [--lab NAME] [--commit TEXT]
//     (root) ACK latency under bursts, in-stack and observed on the wire (bench/run-ack-latency.sh runs this).
// UserTcp.LiveBench download|replay|send|burst-server|ack-stack|ack-kernel ...
//     one process of a measurement; the run and ack commands start these inside the lab's namespaces.
const string Usage = "usage: UserTcp.LiveBench run [--quick] [--report FILE] [--lab NAME] [--runs N] [--commit TEXT]\n" +
                     "       UserTcp.LiveBench ack [--quick] [--report FILE] [--csv FILE] [--lab NAME] [--commit TEXT]";
if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}
string command = args[0];
try
{
    var arguments = new BenchArguments(args.Skip(1));
    return command switch
    {
        "run" => RunAll(arguments),
        "ack" => AckLatencyCommand.Run(arguments),
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
    LabSession.RequireRootAndTools("ip", "tcpreplay", "tcpdump", "strace");
    var plan = arguments.Flag("--quick") ? BenchPlan.Quick() : BenchPlan.Full(arguments.OptionalInt("--runs") ?? 5);
    if (plan.Runs < 1) throw new BenchException("--runs must be at least 1");
    string labName = LabSession.LabName(arguments, "lv");
    string report = arguments.Optional("--report") ?? "perf-results/live.md";
    var machine = MachineInfo.Read();
    var startedAt = DateTimeOffset.UtcNow;
    var clock = Stopwatch.StartNew();
    LabSession.Run(labName, work =>
    {
        var results = new Orchestrator(plan, labName, work, line => Console.Error.WriteLine($"livebench: {line}")).Run();
        LiveReport.Write(report, results, machine with { LoadAverageAfter = MachineInfo.LoadAverage() }, arguments.Optional("--commit") ?? "unknown",
                         startedAt, clock.Elapsed);
    });
    Console.Error.WriteLine($"livebench: wrote {report} in {clock.Elapsed.TotalSeconds:0} s");
    return 0;
}
