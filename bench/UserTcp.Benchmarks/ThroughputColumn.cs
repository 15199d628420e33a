using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace UserTcp.Benchmarks;

/// <summary>
/// Bytes processed per second, from a benchmark parameter giving the bytes per operation and the mean time per
/// operation, so results read directly against a GB/s target (1 GB = 10^9 bytes, which is bytes per nanosecond).
/// </summary>
internal sealed class ThroughputColumn(string bytesParameter) : IColumn
{
    public string Id => $"{nameof(ThroughputColumn)}.{bytesParameter}";
    public string ColumnName => "Throughput";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"{bytesParameter} bytes divided by Mean, in GB/s (10^9 bytes per second)";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? gigabytesPerSecond = GigabytesPerSecond(summary, benchmarkCase, bytesParameter);
        return gigabytesPerSecond is { } value ? $"{value:F2} GB/s" : "NA";
    }

    /// <summary>Bytes per nanosecond (= GB/s), or null when the case has no result.</summary>
    public static double? GigabytesPerSecond(Summary summary, BenchmarkCase benchmarkCase, string bytesParameter)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null || statistics.Mean <= 0) return null;
        return Convert.ToDouble(benchmarkCase.Parameters[bytesParameter]) / statistics.Mean;
    }

    public override string ToString() => ColumnName;
}
