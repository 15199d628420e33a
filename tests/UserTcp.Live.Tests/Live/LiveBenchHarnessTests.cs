using System.Text.RegularExpressions;
using UserTcp.Live.Tests.Devices;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// The harness behind bench/run-live.sh in quick mode (its own lab, every case once and small, a few seconds): proves in CI
/// that it runs, that its replay really feeds the open connection, and that its report has every section. It asserts
/// counts, never a timing. Needs root: fails, never skips, without it.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class LiveBenchHarnessTests
{
    private static string Harness => BuiltProgram.LiveBench;

    [Fact]
    public void Quick_run_measures_every_case_and_writes_the_report()
    {
        // The harness makes and removes its own lab under this name; disposing removes it only when the harness could not
        // (it was killed, say): then nothing else would.
        using var lab = new TemporaryLab("lt");
        string report = Path.Combine(Path.GetTempPath(), $"live-quick-{lab.Name}.md");
        try
        {
            var run = BuiltProgram.Run(Harness, ["run", "--quick", "--lab", lab.Name, "--report", report, "--commit", "test"], TimeSpan.FromMinutes(3));
            Assert.True(run.ExitCode == 0, $"the harness exited {run.ExitCode}:\n{run.Output}\n{run.Error}");
            string text = File.ReadAllText(report);
            foreach (string heading in new[] { "## 1. Receive: a real download", "## 2. Receive: the recorded download replayed", "## 3. Send", "## 4. System calls per frame" })
                Assert.Contains(heading, text);
            // Both downloads, each without a kernel reset (the column before the last).
            Assert.Matches(@"\n\| on \|.* \| 0 \| \d+ \|\n", text);
            Assert.Matches(@"\n\| off \|.* \| 0 \| \d+ \|\n", text);
            // The replay fed the open connection: most frames reached the stack (a loaded CI machine may drop a few at full
            // speed) and few fell outside the window, where every frame would if the replay missed the connection (a loaded
            // machine's slow reader lets the window fill: 20 of a few thousand were seen twice, in two full-suite runs).
            var replay = Regex.Match(text, @"\n\| full speed \| [\d,]+ \| (?<replayed>[\d,]+) \| (?<received>[\d,]+) \| [\d,]+ \| [\d,]+ \| [\d,]+ / [\d,]+ / (?<unacceptable>[\d,]+) \|");
            Assert.True(replay.Success, "no full-speed replay row in the report:\n" + text);
            long replayed = long.Parse(replay.Groups["replayed"].Value.Replace(",", ""));
            long received = long.Parse(replay.Groups["received"].Value.Replace(",", ""));
            Assert.True(replayed > 0 && received * 2 >= replayed, $"only {received} of {replayed} replayed frames reached the stack");
            long unacceptable = long.Parse(replay.Groups["unacceptable"].Value.Replace(",", ""));
            Assert.True(unacceptable * 10 <= received, $"{unacceptable} of {received} replayed frames fell outside the window: did the replay miss the connection?");
            // One sendmmsg(2) per turn's batch of 64 sent frames (about 0.016 per frame; it was one write(2) per frame), counted by strace.
            Assert.Matches(@"\| UDP send, 1472-byte payload \| [\d,]+ \| [\d.]+ \| [^|\n]*sendmmsg 0\.0[0-4]\d", text);
        }
        finally
        {
            File.Delete(report);
        }
    }
}
