using UserTcp.LiveBench.Results;

namespace UserTcp.LiveBench.Reports;

/// <summary>
/// The soak's figures against issue 14's targets: no failed download, and the resident set and descriptor count flat:
/// the median of the last quarter of the samples within <see cref="TargetDriftPercent"/> of the first quarter's, after a
/// warm-up of the first sixth of the run (buffers, pools and the JIT grow to their working size meanwhile).
/// </summary>
internal sealed record SoakVerdict(long Failed, int WarmUpSamples, double RssDrift, double DescriptorDrift, double HeapDrift, double ThreadDrift)
{
    public const double TargetDriftPercent = 5;

    public bool Passed => Failed == 0 && Math.Abs(RssDrift) < TargetDriftPercent && Math.Abs(DescriptorDrift) < TargetDriftPercent;

    /// <summary>Whether a figure grew beyond <paramref name="percent"/> (a leak bound looser than the target, for short runs).</summary>
    public bool Leaks(double percent) => RssDrift > percent || DescriptorDrift > percent;

    public static SoakVerdict Of(IReadOnlyList<SoakSample> samples)
    {
        int warmUp = Math.Max(1, samples.Count / 6);
        var settled = samples.Skip(warmUp).ToList();
        return new SoakVerdict(samples.Count == 0 ? 0 : samples[^1].Failed, warmUp,
            Drift(settled, s => s.RssBytes), Drift(settled, s => s.Descriptors), Drift(settled, s => s.HeapBytes), Drift(settled, s => s.Threads));
    }

    /// <summary>Percent from the first quarter's median to the last quarter's (0 with fewer than two samples).</summary>
    private static double Drift(List<SoakSample> settled, Func<SoakSample, double> figure)
    {
        if (settled.Count < 2) return 0;
        int quarter = Math.Max(1, settled.Count / 4);
        double first = Median(settled.Take(quarter).Select(figure)), last = Median(settled.TakeLast(quarter).Select(figure));
        return first == 0 ? 0 : (last - first) / first * 100;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
