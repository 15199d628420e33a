using System.Globalization;

namespace UserTcp.LiveBench.Reports;

/// <summary>
/// One ACK latency sample of perf-results/data/ack-latency.csv (written by bench/run-ack-latency.sh). The file holds the
/// samples of each case and method counted per whole microsecond (a row: the latency rounded up to 1 µs, so a positive
/// delay stays positive, and how many samples had it), which keeps a CDF exact to 1 µs at a fifth of the size of one row per sample; <see cref="Read"/> expands them.
/// </summary>
internal sealed record AckLatencySample(string Receiver, int Burst, int SegmentBytes, string Method, double LatencyMicroseconds)
{
    public const string Header = "receiver,burst,segment_bytes,method,latency_us,count";

    /// <summary>The CSV rows of one case and method: each whole microsecond that holds samples, with their count.</summary>
    public static IEnumerable<string> Rows(string receiver, int burst, int segmentBytes, string method, IEnumerable<long> nanoseconds) =>
        nanoseconds.GroupBy(ns => (long)Math.Ceiling(ns / 1000.0)).OrderBy(g => g.Key)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{receiver},{burst},{segmentBytes},{method},{g.Key},{g.Count()}"));

    public static List<AckLatencySample> Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(line => line.Length > 0).ToList();
        if (lines.Count == 0 || lines[0] != Header) throw new BenchException($"{path}: expected the header '{Header}'");
        return lines.Skip(1).Select(line =>
        {
            string[] cells = line.Split(',');
            if (cells.Length != 6 || !int.TryParse(cells[1], NumberStyles.None, CultureInfo.InvariantCulture, out int burst) ||
                !int.TryParse(cells[2], NumberStyles.None, CultureInfo.InvariantCulture, out int segmentBytes) ||
                !double.TryParse(cells[4], NumberStyles.Float, CultureInfo.InvariantCulture, out double latency) ||
                !int.TryParse(cells[5], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1)
                throw new BenchException($"{path}: not a row of {Header}: {line}");
            return Enumerable.Repeat(new AckLatencySample(cells[0], burst, segmentBytes, cells[3], latency), count);
        }).SelectMany(samples => samples).ToList();
    }
}
