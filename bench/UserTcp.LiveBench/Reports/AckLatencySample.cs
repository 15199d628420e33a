using System.Globalization;

namespace UserTcp.LiveBench.Reports;

/// <summary>One ACK latency sample of perf-results/data/ack-latency.csv (written by bench/run-ack-latency.sh).</summary>
internal sealed record AckLatencySample(string Receiver, int Burst, string Method, double LatencyMicroseconds)
{
    public const string Header = "receiver,burst,method,latency_us";

    public static List<AckLatencySample> Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(line => line.Length > 0).ToList();
        if (lines.Count == 0 || lines[0] != Header) throw new BenchException($"{path}: expected the header '{Header}'");
        return lines.Skip(1).Select(line =>
        {
            string[] cells = line.Split(',');
            if (cells.Length != 4 || !int.TryParse(cells[1], NumberStyles.None, CultureInfo.InvariantCulture, out int burst) ||
                !double.TryParse(cells[3], NumberStyles.Float, CultureInfo.InvariantCulture, out double latency))
                throw new BenchException($"{path}: not a row of {Header}: {line}");
            return new AckLatencySample(cells[0], burst, cells[2], latency);
        }).ToList();
    }
}
