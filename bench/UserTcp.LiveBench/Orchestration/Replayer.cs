using System.Globalization;
using System.Text.RegularExpressions;
using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>tcpreplay (a PF_PACKET send per frame) on the server's veth end, inside the server namespace.</summary>
internal static partial class Replayer
{
    /// <param name="framesPerSecond">Null: as fast as tcpreplay can (--topspeed).</param>
    /// <param name="limit">Replay only the first frames (a prefix keeps the stream in order).</param>
    public static ReplayOutcome Play(LabInfo lab, string file, int? framesPerSecond, long? limit = null)
    {
        var command = new List<string> { "tcpreplay", "-i", lab.ServerIface, "--preload-pcap" };
        command.Add(framesPerSecond is { } rate ? $"--pps={rate}" : "--topspeed");
        if (limit is { } frames) command.Add($"--limit={frames}");
        command.Add(file);
        string output = Tool.RunIn(lab.ServerNetns, command);
        var actual = ActualLine().Match(output);
        var failed = FailedLine().Match(output);
        if (!actual.Success || !failed.Success) throw new BenchException($"unexpected tcpreplay output:\n{output}");
        long sent = long.Parse(actual.Groups["frames"].Value, CultureInfo.InvariantCulture);
        double seconds = double.Parse(actual.Groups["seconds"].Value, CultureInfo.InvariantCulture);
        return new ReplayOutcome(sent, seconds, seconds > 0 ? sent / seconds : 0, long.Parse(failed.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"Actual: (?<frames>\d+) packets \(\d+ bytes\) sent in (?<seconds>[0-9.]+) seconds")]
    private static partial Regex ActualLine();

    [GeneratedRegex(@"Failed packets:\s+(\d+)")]
    private static partial Regex FailedLine();
}
