using System.Globalization;
using System.Text.RegularExpressions;
using UserTcp.Live.Tests.Devices;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// The ACK-latency harness behind bench/run-ack-latency.sh in quick mode (its own lab, one connection of three bursts per
/// case, one sub-MSS case, two of each single event per receiver, about a minute): proves in CI that it measured what it
/// says: every burst left the server back to back and whole, the observer saw every segment covered and lost no frame,
/// both measurements have a sample for every segment, and every injected event was seen on the wire and answered as TCP
/// says it must be. It asserts counts, never a timing. Needs root: fails, never skips, without it.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class AckLatencyHarnessTests
{
    private const int Rounds = 3;
    private static readonly int[] Bursts = [16, 64, 256];
    private static readonly string[] Receivers = ["kernel", "stack-cumulative", "stack-naive", "stack-cumulative-busy-poll", "stack-cumulative-adaptive"];
    /// <summary>The quick plan's sub-MSS case: 64-segment bursts from the listener with TCP_MAXSEG 536 (524-byte segments), every receiver but the naive one.</summary>
    private const int ClampedBurst = 64, ClampedSegmentBytes = 524, FullSegmentBytes = 1448;
    private static string[] ClampedReceivers => Receivers.Where(r => r != "stack-naive").ToArray();
    private static readonly string[] Events = ["out-of-order", "hole-fill", "duplicate", "in-window-rst", "pushed-sub-mss"];
    private static readonly string[] EventReceivers = ["kernel", "stack-cumulative", "stack-cumulative-busy-poll"];
    private const int EventRepeats = 2;
    private static string Harness => BuiltProgram.LiveBench;

    [Fact]
    public void Quick_run_measures_every_burst_both_ways_and_answers_every_event()
    {
        // The harness makes and removes its own lab under this name; disposing removes it only when the harness could not
        // (it was killed, say): then nothing else would.
        using var lab = new TemporaryLab("at");
        string report = Path.Combine(Path.GetTempPath(), $"ack-quick-{lab.Name}.md"), csv = Path.ChangeExtension(report, ".csv");
        string eventsCsv = Path.Combine(Path.GetTempPath(), $"ack-quick-{lab.Name}-events.csv");
        try
        {
            var run = BuiltProgram.Run(Harness, ["ack", "--quick", "--lab", lab.Name, "--report", report, "--csv", csv, "--commit", "test"], TimeSpan.FromMinutes(4));
            Assert.True(run.ExitCode == 0, $"the harness exited {run.ExitCode}:\n{run.Output}\n{run.Error}");
            string text = File.ReadAllText(report);

            // The server's TCP_INFO around every write: room in cwnd and the receiver's window, nothing in flight, nothing left unsent.
            int bursts = (Bursts.Length * Receivers.Length + ClampedReceivers.Length) * Rounds;
            Assert.Contains($"**Every one of the {bursts} bursts did.**", text);
            Assert.Matches(@"tcpdump captured (?<n>[\d,]+) frames, its filter received \k<n>, the kernel dropped 0; 0 frames did not parse; sequence gaps \(frames the capture missed\): 0\.", text);
            var cases = Bursts.SelectMany(burst => Receivers.Select(receiver => (burst, FullSegmentBytes, receiver)))
                .Concat(ClampedReceivers.Select(receiver => (ClampedBurst, ClampedSegmentBytes, receiver))).ToList();
            foreach (var (burst, segmentBytes, receiver) in cases)
            {
                var check = CheckRow(burst, segmentBytes, receiver).Match(text);
                Assert.True(check.Success, $"no checks row for {receiver}, {burst}-segment bursts of {segmentBytes} bytes:\n{text}");
                int segments = burst * Rounds;
                Assert.Equal($"{Rounds} ({Rounds})", check.Groups["seen"].Value);
                Assert.Equal(Rounds.ToString(CultureInfo.InvariantCulture), check.Groups["whole"].Value);
                Assert.Equal($"{segments} of {segments}", check.Groups["covered"].Value);
                Assert.True(int.Parse(check.Groups["cwnd"].Value, CultureInfo.InvariantCulture) >= burst, $"cwnd below the burst: {check.Value}");
                Assert.Equal(receiver == "kernel" ? "–" : "yes", check.Groups["instack"].Value);
            }

            // Samples per whole microsecond: one observer sample per segment for everyone, one in-stack sample per segment for the stack.
            var lines = File.ReadAllLines(csv);
            Assert.Equal("receiver,burst,segment_bytes,method,latency_us,count", lines[0]);
            var counts = lines.Skip(1).Select(line => line.Split(','))
                .GroupBy(f => (f[0], int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), f[3]))
                .ToDictionary(g => g.Key, g => g.Sum(f => int.Parse(f[5], CultureInfo.InvariantCulture)));
            foreach (var (burst, segmentBytes, receiver) in cases)
            {
                Assert.Equal(burst * Rounds, counts.GetValueOrDefault((receiver, burst, segmentBytes, "observer")));
                Assert.Equal(receiver == "kernel" ? 0 : burst * Rounds, counts.GetValueOrDefault((receiver, burst, segmentBytes, "in-stack")));
            }
            Assert.All(lines.Skip(1), line => Assert.True(long.Parse(line.Split(',')[4], CultureInfo.InvariantCulture) > 0 && int.Parse(line.Split(',')[5], CultureInfo.InvariantCulture) > 0,
                $"a delay that is not positive, or an empty bucket: {line}"));

            // Single events: every probe found in the capture, answered, and answered with the acknowledgment TCP requires
            // (a hole-fill connection's first probe is one more out-of-order one).
            foreach (string kind in Events)
            foreach (string receiver in EventReceivers)
            {
                int probes = EventRepeats * (kind == "out-of-order" ? 2 : 1);
                Assert.Matches($@"\n\| {kind} \| {receiver} \| {probes} of {probes} \| {probes} \| [\d.]+ \| [\d.]+ \|", text);
            }
            int answers = EventReceivers.Length * EventRepeats * (Events.Length + 1);
            Assert.Equal("receiver,event,latency_us,dsack,as_expected", File.ReadAllLines(eventsCsv)[0]);
            Assert.Equal(answers, File.ReadAllLines(eventsCsv).Length - 1);
            foreach (string kind in Events)
                Assert.Matches($@"\n- \*\*Single event after idle, {kind}\*\* \(stack p50 ≤ 1\.5× the kernel's\): stack [\d.]+ µs, kernel [\d.]+ µs \([\d.]+×\), \*\*(met|missed)\*\*; busy-polling, stack [\d.]+ µs \([\d.]+×\), (met|missed)\.", text);
            Assert.Matches(@"\n- \*\*Delayed-ACK timer expiries in the burst runs\*\* \(0 in every run\): \d+ over \d+ stack connections", text);
            Assert.Matches(@"\n- \*\*Target: p99 ACK latency under a 64-segment burst below 100 µs by the external observer\*\* \(stack, cumulative ACKs\): [\d.]+ µs, \*\*(pass|miss)\*\*", text);
        }
        finally
        {
            File.Delete(report);
            File.Delete(csv);
            File.Delete(eventsCsv);
        }
    }

    /// <summary>The checks table's row: connections, bursts seen (expected), whole bursts, covered, retransmissions, cwnd, window, unsent (0), train, in-stack samples, ps_drop (0), delayed-ACK timer expiries.</summary>
    private static Regex CheckRow(int burst, int segmentBytes, string receiver) => new(
        $@"\n\| {burst} \| {segmentBytes} \| {receiver} \| 1 \| (?<seen>\d+ \(\d+\)) \| (?<whole>\d+) \| (?<covered>\d+ of \d+) \| \d+ \| (?<cwnd>\d+) \| \d+ \| 0 \| \d+ \| (?<instack>yes|–|\*\*no\*\*) \| (?<drops>0|–) \| (?<expiries>\d+|–) \|");
}
