using System.Globalization;
using ScottPlot;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;
using UserTcp.LiveBench.Results;
using UserTcp.LiveBench.Roles;

namespace UserTcp.LiveBench.Reports;

/// <summary>
/// The plots of perf-results/README.md, drawn with ScottPlot and saved as SVG: text stays text (the viewer's fonts draw
/// it, so no native font rendering is involved beyond measuring labels), the files are small and diff as text.
/// </summary>
internal static class ResultPlots
{
    private const int Width = 820, Height = 500;
    /// <summary>Latencies are drawn on a log axis; a zero (an ACK sent in the turn the segment arrived) is drawn at this floor.</summary>
    private const double LatencyFloorMicroseconds = 0.1;
    /// <summary>The burst size the CDF plot shows when the data has it (the ACK latency report's headline case).</summary>
    private const int HighlightedBurst = 64;
    /// <summary>Points per CDF curve: quantiles, so a million samples still make a small file.</summary>
    private const int CdfPoints = 500;

    private static readonly Color KernelColor = Colors.Category10[0], StackColor = Colors.Category10[1];

    /// <summary>Median download throughput by size: kernel and stack, offloads off (solid) and on (dashed); min–max bars.</summary>
    /// <param name="measured">The runs of one sink (named in the title).</param>
    public static void Throughput(string path, IReadOnlyList<SizeRuns> measured) =>
        BySize(path, measured, $"Download throughput over the lab's veth, bodies to {SinkOf(measured)} (median, min–max)", "Gbit/s", (_, run) => run.GbitPerSecond);

    /// <summary>Median CPU seconds per GiB net of each client's fixed cost, by size.</summary>
    /// <param name="measured">The runs of one sink (named in the title).</param>
    public static void CpuPerGiB(string path, IReadOnlyList<SizeRuns> measured) =>
        BySize(path, measured, $"Client CPU per GiB net of its fixed cost ({ComparePlan.ReferenceSize} fetch), bodies to {SinkOf(measured)}", "CPU seconds (user + system) per GiB",
               (size, run) => size.NetCpuPerGiB(run));

    private static string SinkOf(IReadOnlyList<SizeRuns> measured) =>
        CompareOrchestrator.SinkName(measured.Select(s => s.Sink).Distinct().Single());

    /// <param name="figure">One run's figure, given the runs of its size and offload setting.</param>
    private static void BySize(string path, IReadOnlyList<SizeRuns> measured, string title, string unit, Func<SizeRuns, TransferRun, double> figure)
    {
        var plot = new Plot();
        string[] sizes = measured.OrderBy(s => s.Bytes).Select(s => s.Size).Distinct().ToArray();
        var series = new List<(string Label, Color Color, bool Dashed, IReadOnlyList<(int Size, Spread Figure)> Points)>();
        foreach (bool offload in measured.Select(s => s.Offload).Distinct().Order())
        {
            foreach (var side in new[] { ClientSide.Kernel, ClientSide.Stack })
            {
                series.Add(($"{CompareOrchestrator.Name(side)}, offloads {(offload ? "on" : "off")}", side == ClientSide.Kernel ? KernelColor : StackColor, offload,
                            measured.Where(s => s.Offload == offload).Select(s => (Array.IndexOf(sizes, s.Size), Spread.Of(s.Runs(side).Select(run => figure(s, run)))))
                                    .OrderBy(p => p.Item1).ToList()));
            }
        }
        double top = 0;
        for (int i = 0; i < series.Count; i++)
        {
            var (label, color, dashed, points) = series[i];
            // Series side by side within a size, so their bars do not hide each other.
            double offset = (i - (series.Count - 1) / 2.0) * 0.07;
            double[] xs = points.Select(p => p.Size + offset).ToArray(), medians = points.Select(p => p.Figure.Median).ToArray();
            var line = plot.Add.Scatter(xs, medians, color);
            line.LegendText = label;
            line.LinePattern = dashed ? LinePattern.Dashed : LinePattern.Solid;
            line.MarkerShape = dashed ? MarkerShape.OpenCircle : MarkerShape.FilledCircle;
            line.MarkerSize = 7;
            var bars = plot.Add.ErrorBar(xs, medians, points.Select(_ => 0.0).ToArray());
            bars.YErrorPositive = points.Select(p => p.Figure.Max - p.Figure.Median).ToArray();
            bars.YErrorNegative = points.Select(p => p.Figure.Median - p.Figure.Min).ToArray();
            bars.Color = color;
            top = points.Select(p => p.Figure.Max).Append(top).Max();
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, sizes.Length).Select(i => (double)i).ToArray(), sizes);
        // From zero, with room above the highest bar for the legend.
        plot.Axes.SetLimits(-0.5, sizes.Length - 0.5, 0, top * 1.45);
        plot.Title(title);
        plot.XLabel("file size");
        plot.YLabel(unit);
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, path);
    }

    /// <summary>
    /// CDFs of ACK latency for one burst size (<see cref="HighlightedBurst"/> when present, else the largest), one curve
    /// per receiver and measuring method, on a log axis. Returns the burst shown, or null when there was no sample.
    /// </summary>
    public static int? AckLatencyCdf(string path, IReadOnlyList<AckLatencySample> samples)
    {
        samples = samples.Where(s => s.SegmentBytes == BurstRequest.FullSegmentBytes).ToList(); // the sub-MSS bursts are in the report
        if (samples.Count == 0) return null;
        int burst = samples.Any(s => s.Burst == HighlightedBurst) ? HighlightedBurst : samples.Max(s => s.Burst);
        var plot = new Plot();
        var curves = samples.Where(s => s.Burst == burst).GroupBy(s => (s.Receiver, s.Method)).OrderBy(g => g.Key.Receiver).ThenBy(g => g.Key.Method);
        foreach (var curve in curves)
        {
            var sorted = curve.Select(s => Math.Max(s.LatencyMicroseconds, LatencyFloorMicroseconds)).Order().ToArray();
            int points = Math.Min(CdfPoints, sorted.Length);
            // Quantile i/(points−1): from the fastest sample to the slowest, both always drawn.
            var xs = new double[points];
            var ys = new double[points];
            for (int i = 0; i < points; i++)
            {
                int index = points == 1 ? 0 : (int)Math.Round((double)i * (sorted.Length - 1) / (points - 1));
                xs[i] = Math.Log10(sorted[index]);
                ys[i] = (index + 1.0) / sorted.Length;
            }
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = $"{curve.Key.Receiver} ({curve.Key.Method}, {sorted.Length:N0} ACKs)";
            line.LineWidth = 2;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true,
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            LabelFormatter = exponent => Math.Pow(10, exponent).ToString("0.###", CultureInfo.InvariantCulture),
        };
        plot.Axes.SetLimitsY(0, 1.02);
        plot.Title($"ACK latency CDF, bursts of {burst} segments");
        plot.XLabel($"latency (µs, log scale; below {LatencyFloorMicroseconds} µs drawn at {LatencyFloorMicroseconds})");
        plot.YLabel("fraction of ACKs at or below");
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, path);
        return burst;
    }

    /// <summary>
    /// One figure of the serve benchmark's wrk runs (<paramref name="metric"/>: rps, p99_ms) by case (size and connection count),
    /// one series per server: median with min–max bars over the rounds.
    /// </summary>
    public static void ServeRequests(string path, IReadOnlyList<ServeSample> samples, string metric, string title, string unit)
    {
        var runs = samples.Where(s => s.Test == "requests" && s.Metric == metric).ToList();
        var cases = runs.Select(s => (s.Size, s.Connections)).Distinct().OrderBy(c => c.Size.Length).ThenBy(c => c.Size, StringComparer.Ordinal).ThenBy(c => c.Connections).ToList();
        string[] servers = runs.Select(s => s.Server).Distinct().ToArray();
        var plot = new Plot();
        double top = 0;
        for (int i = 0; i < servers.Length; i++)
        {
            var points = cases.Select((c, x) => (X: x, Values: runs.Where(s => s.Server == servers[i] && s.Size == c.Size && s.Connections == c.Connections).Select(s => s.Value).ToList()))
                              .Where(p => p.Values.Count > 0).Select(p => (p.X, Figure: Spread.Of(p.Values))).ToList();
            if (points.Count == 0) continue;
            double offset = (i - (servers.Length - 1) / 2.0) * 0.12;
            double[] xs = points.Select(p => p.X + offset).ToArray(), medians = points.Select(p => p.Figure.Median).ToArray();
            var line = plot.Add.Scatter(xs, medians, Colors.Category10[i % 10]);
            line.LegendText = servers[i];
            line.LineWidth = 0;
            line.MarkerShape = MarkerShape.FilledCircle;
            line.MarkerSize = 8;
            var bars = plot.Add.ErrorBar(xs, medians, points.Select(_ => 0.0).ToArray());
            bars.YErrorPositive = points.Select(p => p.Figure.Max - p.Figure.Median).ToArray();
            bars.YErrorNegative = points.Select(p => p.Figure.Median - p.Figure.Min).ToArray();
            bars.Color = Colors.Category10[i % 10];
            top = points.Select(p => p.Figure.Max).Append(top).Max();
        }
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, cases.Count).Select(i => (double)i).ToArray(), cases.Select(c => $"{c.Size}, {c.Connections:N0} conn.").ToArray());
        plot.Axes.SetLimits(-0.5, cases.Count - 0.5, 0, top * 1.3);
        plot.Title(title);
        plot.XLabel("response size, concurrent connections");
        plot.YLabel(unit);
        plot.ShowLegend(Alignment.UpperLeft);
        Save(plot, path);
    }

    /// <summary>The soak's samples over time: RSS and managed heap (MiB, left axis) and open descriptors (right axis).</summary>
    public static void Soak(string path, IReadOnlyList<SoakSample> samples)
    {
        var plot = new Plot();
        double[] minutes = samples.Select(s => s.Seconds / 60).ToArray();
        var rss = plot.Add.Scatter(minutes, samples.Select(s => s.RssBytes / 1048576.0).ToArray(), Colors.Category10[0]);
        rss.LegendText = "RSS (MiB)";
        var heap = plot.Add.Scatter(minutes, samples.Select(s => s.HeapBytes / 1048576.0).ToArray(), Colors.Category10[1]);
        heap.LegendText = "managed heap (MiB)";
        var descriptors = plot.Add.Scatter(minutes, samples.Select(s => (double)s.Descriptors).ToArray(), Colors.Category10[2]);
        descriptors.LegendText = "open descriptors (right axis)";
        descriptors.Axes.YAxis = plot.Axes.Right;
        plot.Axes.SetLimitsY(0, samples.Select(s => s.RssBytes / 1048576.0).Append(1).Max() * 1.3, plot.Axes.Left);
        plot.Axes.SetLimitsY(0, samples.Select(s => (double)s.Descriptors).Append(1).Max() * 1.3, plot.Axes.Right);
        plot.Title("Soak: one stack process under downloads, a slow reader and aborts");
        plot.XLabel("minutes");
        plot.YLabel("MiB");
        plot.Axes.Right.Label.Text = "descriptors";
        plot.ShowLegend(Alignment.LowerRight);
        Save(plot, path);
    }

    private static void Save(Plot plot, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SaveSvg(path, Width, Height);
    }
}
