using System.Diagnostics;

namespace UserTcp.LiveBench;

/// <summary>
/// <c>ack [--quick] [--report FILE] [--csv FILE] [--lab NAME] [--commit TEXT]</c>: ACK latency under bursts, in-stack and by
/// an observer (<see cref="AckLatencyOrchestrator"/>), written to perf-results/ack-latency.md and perf-results/data/ack-latency.csv.
/// </summary>
internal static class AckLatencyCommand
{
    public static int Run(BenchArguments arguments)
    {
        LabSession.RequireRootAndTools("ip", "tcpdump", "sysctl");
        var plan = arguments.Flag("--quick") ? AckLatencyPlan.Quick() : AckLatencyPlan.Full();
        string labName = LabSession.LabName(arguments, "ak");
        string report = arguments.Optional("--report") ?? "perf-results/ack-latency.md";
        string csv = arguments.Optional("--csv") ?? "perf-results/data/ack-latency.csv";
        var machine = MachineInfo.Read();
        var startedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        LabSession.Run(labName, work =>
        {
            var results = new AckLatencyOrchestrator(plan, labName, work, line => Console.Error.WriteLine($"livebench ack: {line}")).Run();
            AckLatencyReport.Write(report, csv, results, machine with { LoadAverageAfter = MachineInfo.LoadAverage() },
                                   arguments.Optional("--commit") ?? "unknown", startedAt, clock.Elapsed);
        });
        Console.Error.WriteLine($"livebench ack: wrote {report} and {csv} in {clock.Elapsed.TotalSeconds:0} s");
        return 0;
    }
}
