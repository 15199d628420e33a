using System.Globalization;
using System.Text;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

using UserTcp.Benchmarks.Tcp;
using UserTcp.Benchmarks.Wire;

namespace UserTcp.Benchmarks;

/// <summary>
/// The performance targets of the issues (wire layer, TCP engine), checked against a run's summaries and written as a
/// markdown table (<c>targets.md</c> beside BenchmarkDotNet's reports) that bench/run.sh puts into perf-results. Only
/// targets whose benchmark ran are listed, so each suite's report shows its own.
/// A miss is reported, not an error: the numbers come from whatever machine ran them.
/// </summary>
internal static class PerformanceTargets
{
    private const string ReportFileName = "targets.md";

    private enum Bound { AtMostNanoseconds, AtLeastGigabytesPerSecond }

    private sealed record Target(string Name, Type BenchmarkType, string Method, int? Length, double Limit, Bound Bound)
    {
        public string Required => Bound == Bound.AtMostNanoseconds ? $"< {Limit} ns" : $">= {Limit} GB/s";
        public string BenchmarkName => $"{BenchmarkType.Name}.{Method}" + (Length is { } length ? $" (Length={length})" : "");
    }

    private static readonly Target[] Targets =
    [
        new("Checksum, full TCP payload", typeof(ChecksumBenchmarks), nameof(ChecksumBenchmarks.Compute), 1460, 10, Bound.AtLeastGigabytesPerSecond),
        new("Header parse + validate", typeof(FrameParseBenchmarks), nameof(FrameParseBenchmarks.HeadersOnly), null, 20, Bound.AtMostNanoseconds),
        new("ACK emit (TS + 2 SACK)", typeof(AckEmitBenchmarks), nameof(AckEmitBenchmarks.WriteAckWithTwoSackBlocks), null, 50, Bound.AtMostNanoseconds),
        new("TCP receive path per segment, copy included", typeof(TcpEngineBenchmarks), nameof(TcpEngineBenchmarks.ReceiveSegment_CumulativeAckPerBatch), null, 150, Bound.AtMostNanoseconds),
        new("Engine-pair transfer, payload", typeof(EnginePairTransferBenchmarks), nameof(EnginePairTransferBenchmarks.TransferFromServer), 64 << 20, 2, Bound.AtLeastGigabytesPerSecond),
    ];

    /// <summary>Writes the targets table next to the reports of <paramref name="summaries"/> and to the console.</summary>
    public static void WriteReport(IReadOnlyList<Summary> summaries)
    {
        if (summaries.Count == 0) return;
        // A cold-start job (Dry) times JIT compilation and first calls, not the steady state the targets are about.
        if (summaries.SelectMany(summary => summary.BenchmarksCases).All(IsColdStart))
        {
            Console.WriteLine("Targets not checked: cold-start (Dry) timings are not steady-state.");
            return;
        }
        string table = FormatTable(summaries);
        Console.WriteLine();
        Console.WriteLine(table);
        File.WriteAllText(Path.Combine(summaries[0].ResultsDirectoryPath, ReportFileName), table);
    }

    private static string FormatTable(IReadOnlyList<Summary> summaries)
    {
        var table = new StringBuilder()
            .AppendLine("| Target | Benchmark | Required | Measured (mean) | Verdict |")
            .AppendLine("|---|---|---:|---:|---|");
        int rows = 0;
        foreach (var target in Targets)
        {
            double? measured = Measure(target, summaries);
            if (measured is null) continue; // another suite's target
            string measuredText = measured is not { } value ? "not run"
                : target.Bound == Bound.AtMostNanoseconds ? Invariant($"{value:F2} ns") : Invariant($"{value:F2} GB/s");
            table.AppendLine($"| {target.Name} | {target.BenchmarkName} | {target.Required} | {measuredText} | {Verdict(target, measured)} |");
            rows++;
        }
        return rows > 0 ? table.ToString() : "No target of the issues is about these benchmarks: they are reported, not judged.\n";
    }

    private static double? Measure(Target target, IReadOnlyList<Summary> summaries)
    {
        foreach (var summary in summaries)
        foreach (var benchmarkCase in summary.BenchmarksCases)
        {
            if (!IsCaseOf(target, benchmarkCase)) continue;
            return target.Bound == Bound.AtMostNanoseconds
                ? summary[benchmarkCase]?.ResultStatistics?.Mean
                : ThroughputColumn.GigabytesPerSecond(summary, benchmarkCase, nameof(ChecksumBenchmarks.Length));
        }
        return null;
    }

    // Only a job that sets the strategy (Dry does) can be cold-start: no resolver supplies a default for it.
    private static bool IsColdStart(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Job.Run.HasValue(RunMode.RunStrategyCharacteristic) && benchmarkCase.Job.Run.RunStrategy == RunStrategy.ColdStart;

    private static bool IsCaseOf(Target target, BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.Type == target.BenchmarkType
        && benchmarkCase.Descriptor.WorkloadMethod.Name == target.Method
        && (target.Length is not { } length || Equals(benchmarkCase.Parameters[nameof(ChecksumBenchmarks.Length)], length));

    /// <summary>Pass or miss, and by how much relative to the limit.</summary>
    private static string Verdict(Target target, double? measured)
    {
        if (measured is not { } value) return "-";
        double percent = Math.Abs(value - target.Limit) / target.Limit * 100;
        return (target.Bound, value) switch
        {
            (Bound.AtMostNanoseconds, var ns) when ns < target.Limit => Invariant($"pass, {percent:F0}% under"),
            (Bound.AtMostNanoseconds, _) => Invariant($"**miss**, {percent:F0}% over"),
            (Bound.AtLeastGigabytesPerSecond, var rate) when rate >= target.Limit => Invariant($"pass, {percent:F0}% above"),
            _ => Invariant($"**miss**, {percent:F0}% short"),
        };
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
