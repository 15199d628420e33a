using System.Globalization;
using System.Text.RegularExpressions;

namespace UserTcp.LiveBench.Results;

/// <summary>What one wrk run reports: requests per second, the latency distribution's median and 99th percentile, and the
/// requests that failed (socket errors: connect, read, write, timeout; and non-2xx/3xx answers).</summary>
internal sealed partial record WrkResult(double RequestsPerSecond, double P50Milliseconds, double P99Milliseconds, long Requests, long Errors)
{
    /// <summary>Parses wrk's output (run with <c>--latency</c>); a <see cref="BenchException"/> naming the output when a figure is missing.</summary>
    public static WrkResult Parse(string output)
    {
        var rps = RequestsPerSecondLine().Match(output);
        var p50 = P50Line().Match(output);
        var p99 = P99Line().Match(output);
        var requests = RequestsLine().Match(output);
        if (!rps.Success || !p50.Success || !p99.Success || !requests.Success) throw new BenchException($"wrk's output lacks a figure:\n{output}");
        long errors = SocketErrors().Matches(output).Sum(m => long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture))
                      + (Non2xx().Match(output) is { Success: true } bad ? long.Parse(bad.Groups["n"].Value, CultureInfo.InvariantCulture) : 0);
        return new WrkResult(double.Parse(rps.Groups["v"].Value, CultureInfo.InvariantCulture), Milliseconds(p50), Milliseconds(p99),
                             long.Parse(requests.Groups["n"].Value, CultureInfo.InvariantCulture), errors);
    }

    private static double Milliseconds(Match match)
    {
        double value = double.Parse(match.Groups["v"].Value, CultureInfo.InvariantCulture);
        return match.Groups["unit"].Value switch
        {
            "us" => value / 1000,
            "ms" => value,
            "s" => value * 1000,
            "m" => value * 60_000,
            _ => throw new BenchException($"wrk latency unit '{match.Groups["unit"].Value}'"),
        };
    }

    [GeneratedRegex(@"^\s+50%\s+(?<v>[0-9.]+)(?<unit>us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex P50Line();

    [GeneratedRegex(@"^\s+99%\s+(?<v>[0-9.]+)(?<unit>us|ms|s|m)\s*$", RegexOptions.Multiline)]
    private static partial Regex P99Line();

    [GeneratedRegex(@"^Requests/sec:\s+(?<v>[0-9.]+)", RegexOptions.Multiline)]
    private static partial Regex RequestsPerSecondLine();

    [GeneratedRegex(@"^\s+(?<n>[0-9]+) requests in", RegexOptions.Multiline)]
    private static partial Regex RequestsLine();

    [GeneratedRegex(@"(?:connect|read|write|timeout) (?<n>[0-9]+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (?<n>[0-9]+)")]
    private static partial Regex Non2xx();
}
