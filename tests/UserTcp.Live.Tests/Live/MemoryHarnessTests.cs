using System.Globalization;
using UserTcp.Fast.Buffers;
using UserTcp.Live.Tests.Devices;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// The harness behind bench/run-memory.sh with a few small connections (its own lab, a quarter of a minute): proves that it
/// runs through every phase and that every connection the stack closed first ends in TIME-WAIT, which the stack keeps as an
/// entry and not as a connection. It asserts counts, never a size or a timing. Needs root: fails, never skips, without it.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class MemoryHarnessTests
{
    [Fact]
    public void Small_run_reaches_every_phase_and_leaves_every_connection_in_time_wait()
    {
        using var lab = new TemporaryLab("mt");
        string report = Path.Combine(Path.GetTempPath(), $"memory-{lab.Name}.md");
        string csv = Path.ChangeExtension(report, ".csv");
        try
        {
            var run = BuiltProgram.Run(BuiltProgram.LiveBench,
                ["memory", "--connections", "8x16384", "--rate", "16384", "--lab", lab.Name, "--report", report, "--csv", csv, "--commit", "test"],
                TimeSpan.FromMinutes(3));
            Assert.True(run.ExitCode == 0, $"the harness exited {run.ExitCode}:\n{run.Output}\n{run.Error}");
            var rows = File.ReadAllLines(csv).Skip(1).Select(line => line.Split(',')).ToDictionary(row => row[1]);
            Assert.Equal(["baseline", "idle", "active", "time-wait"], rows.Keys);
            Assert.Equal("8", rows["idle"][4]); // eight TCP connections, none in TIME-WAIT beyond the warm-up's
            Assert.Equal(rows["baseline"][5], rows["idle"][5]);
            // The warm-up filled the chunk pool, so no phase's figure holds spare chunks the baseline did not.
            Assert.Equal(ChunkPool.RetainedChunks.ToString(CultureInfo.InvariantCulture), rows["baseline"][8]);
            Assert.Equal("0", rows["time-wait"][4]); // then no connection left: all eight are TIME-WAIT entries
            Assert.Equal(int.Parse(rows["baseline"][5]) + 8, int.Parse(rows["time-wait"][5]));
            Assert.Contains("## Targets (issue 11)", File.ReadAllText(report));
        }
        finally
        {
            File.Delete(report);
            File.Delete(csv);
        }
    }
}
