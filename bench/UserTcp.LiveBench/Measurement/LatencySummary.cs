using System.Globalization;

namespace UserTcp.LiveBench.Measurement;

/// <summary>p50, p99 and max of a set of delays (nearest rank on the sorted values), in microseconds.</summary>
internal readonly record struct LatencySummary(double P50, double P99, double Max, int Count)
{
    public static LatencySummary Of(IEnumerable<long> nanoseconds)
    {
        var sorted = nanoseconds.Order().ToArray();
        if (sorted.Length == 0) return new LatencySummary(double.NaN, double.NaN, double.NaN, 0);
        double At(double percentile) => sorted[Math.Max(0, (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1)] / 1000.0;
        return new LatencySummary(At(50), At(99), sorted[^1] / 1000.0, sorted.Length);
    }

    public string Cells => Count == 0 ? "– | – | –" : string.Create(CultureInfo.InvariantCulture, $"{P50:0.0} | {P99:0.0} | {Max:0.0}");
}
