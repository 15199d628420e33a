using System.Globalization;

namespace UserTcp.LiveBench.Reports;

/// <summary>One ACK latency sample of perf-results/data/ack-latency.csv (written by bench/run-ack-latency.sh).</summary>
internal sealed record AckLatencySample(string Receiver, int Burst, int SegmentBytes, string Method, double LatencyMicroseconds)
{
    public const string Header = "receiver,burst,segment_bytes,method,latency_us";

    public static List<AckLatencySample> Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(line => line.Length > 0).ToList();
        if (lines.Count == 0 || lines[0] != Header) throw new BenchException($"{path}: expected the header '{Header}'");
        return lines.Skip(1).Select(line =>
        {
            string[] cells = line.Split(',');
            if (cells.Length != 5 || !int.TryParse(cells[1], NumberStyles.None, CultureInfo.InvariantCulture, out int burst) ||
                !int.TryParse(cells[2], NumberStyles.None, CultureInfo.InvariantCulture, out int segmentBytes) ||
                !double.TryParse(cells[4], NumberStyles.Float, CultureInfo.InvariantCulture, out double latency))
                throw new BenchException($"{path}: not a row of {Header}: {line}");
            return new AckLatencySample(cells[0], burst, segmentBytes, cells[3], latency);
        }).ToList();
    }
}
