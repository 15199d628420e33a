using System.Globalization;
using System.Text.RegularExpressions;
using UserTcp.Live.Tests.Devices;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// The ACK-latency harness behind bench/run-ack-latency.sh in quick mode (its own lab, one connection of three bursts per
/// case, about half a minute): proves in CI that it measured what it says: every burst left the server back to back and
/// whole, the observer saw every segment covered and lost no frame, and both measurements have a sample for every
/// segment. It asserts counts, never a timing. Needs root: fails, never skips, without it.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class AckLatencyHarnessTests
{
    private const int Rounds = 3;
    private static readonly int[] Bursts = [16, 64, 256];
    private static readonly string[] Receivers = ["kernel", "stack-cumulative", "stack-naive", "stack-cumulative-busy-poll", "stack-cumulative-adaptive"];
    private static string Harness => BuiltProgram.LiveBench;

    [Fact]
    public void Quick_run_measures_every_burst_both_ways()
    {
        // The harness makes and removes its own lab under this name; disposing removes it only when the harness could not
        // (it was killed, say): then nothing else would.
        using var lab = new TemporaryLab("at");
        string report = Path.Combine(Path.GetTempPath(), $"ack-quick-{lab.Name}.md"), csv = Path.ChangeExtension(report, ".csv");
        try
        {
            var run = BuiltProgram.Run(Harness, ["ack", "--quick", "--lab", lab.Name, "--report", report, "--csv", csv, "--commit", "test"], TimeSpan.FromMinutes(3));
            Assert.True(run.ExitCode == 0, $"the harness exited {run.ExitCode}:\n{run.Output}\n{run.Error}");
            string text = File.ReadAllText(report);

            // The server's TCP_INFO around every write: room in cwnd and the receiver's window, nothing in flight, nothing left unsent.
            Assert.Contains($"**Every one of the {Bursts.Length * Receivers.Length * Rounds} bursts did.**", text);
            Assert.Matches(@"tcpdump captured (?<n>[\d,]+) frames, its filter received \k<n>, the kernel dropped 0; 0 frames did not parse; sequence gaps \(frames the capture missed\): 0\.", text);
            foreach (int burst in Bursts)
            foreach (string receiver in Receivers)
            {
                var check = CheckRow(burst, receiver).Match(text);
                Assert.True(check.Success, $"no checks row for {receiver}, {burst}-segment bursts:\n{text}");
                int segments = burst * Rounds;
                Assert.Equal($"{Rounds} ({Rounds})", check.Groups["seen"].Value);
                Assert.Equal(Rounds.ToString(CultureInfo.InvariantCulture), check.Groups["whole"].Value);
                Assert.Equal($"{segments} of {segments}", check.Groups["covered"].Value);
                Assert.True(int.Parse(check.Groups["cwnd"].Value, CultureInfo.InvariantCulture) >= burst, $"cwnd below the burst: {check.Value}");
                Assert.Equal(receiver == "kernel" ? "–" : "yes", check.Groups["instack"].Value);
            }

            // Raw samples: one observer row per segment for everyone, one in-stack row per segment for the stack.
            var lines = File.ReadAllLines(csv);
            Assert.Equal("receiver,burst,method,latency_us", lines[0]);
            var counts = lines.Skip(1).Select(line => line.Split(',')).GroupBy(f => (f[0], int.Parse(f[1], CultureInfo.InvariantCulture), f[2]))
                .ToDictionary(g => g.Key, g => g.Count());
            foreach (int burst in Bursts)
            foreach (string receiver in Receivers)
            {
                Assert.Equal(burst * Rounds, counts.GetValueOrDefault((receiver, burst, "observer")));
                Assert.Equal(receiver == "kernel" ? 0 : burst * Rounds, counts.GetValueOrDefault((receiver, burst, "in-stack")));
            }
            Assert.All(lines.Skip(1), line => Assert.True(double.Parse(line.Split(',')[3], CultureInfo.InvariantCulture) > 0, $"a delay that is not positive: {line}"));
            Assert.Matches(@"\n- \*\*Target: p99 ACK latency under a 64-segment burst below 100 µs by the external observer\*\* \(stack, cumulative ACKs\): [\d.]+ µs, \*\*(pass|miss)\*\*", text);
        }
        finally
        {
            File.Delete(report);
            File.Delete(csv);
        }
    }

    /// <summary>The checks table's row: connections, bursts seen (expected), whole bursts, covered, retransmissions, cwnd, window, unsent (0), train, in-stack samples, ps_drop (0).</summary>
    private static Regex CheckRow(int burst, string receiver) => new(
        $@"\n\| {burst} \| {receiver} \| 1 \| (?<seen>\d+ \(\d+\)) \| (?<whole>\d+) \| (?<covered>\d+ of \d+) \| \d+ \| (?<cwnd>\d+) \| \d+ \| 0 \| \d+ \| (?<instack>yes|–|\*\*no\*\*) \| (?<drops>0|–) \|");
}
