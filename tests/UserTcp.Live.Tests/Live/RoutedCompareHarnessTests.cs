using System.Globalization;
using UserTcp.Live.Tests.Devices;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// The harness behind bench/run-routed.sh in quick mode, in two labs of its own, flat and routed: curl and
/// <c>usertcp get</c> in alternating pairs in both, offloads off and on, every body into /dev/null. It proves the harness
/// measured both labs: every run finished with the file's byte count as its client reported it (the harness fails a run
/// otherwise), the raw data has every run of each lab, no run drew a reset from the server, the routed lab's server sent
/// segments no larger than its 1400-byte link carries while the flat lab's were larger, and the report has its verdict,
/// tables and method. It asserts no timing. Needs root: fails, never skips.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class RoutedCompareHarnessTests
{
    [Fact]
    public void Quick_routed_compare_measures_both_labs_and_writes_the_verdict_and_data()
    {
        // The harness makes and removes its own labs under these names; disposing removes them only when it could not.
        using var flatLab = new TemporaryLab("rf");
        using var routedLab = new TemporaryLab("rr");
        string results = Directory.CreateTempSubdirectory("routed-quick-").FullName;
        try
        {
            var routed = BuiltProgram.Run(BuiltProgram.LiveBench, ["routed", "--quick", "--lab", flatLab.Name, "--routed-lab", routedLab.Name, "--results", results, "--commit", "test"],
                                          TimeSpan.FromMinutes(3));
            Assert.True(routed.ExitCode == 0, $"routed exited {routed.ExitCode}:\n{routed.Output}\n{routed.Error}");
            Assert.False(Directory.Exists(flatLab.Names.StateDirectory) || Directory.Exists(routedLab.Names.StateDirectory), "the harness left a lab up");

            var all = Csv.Read(Path.Combine(results, "data", "routed.csv"));
            // 64K (the fixed-cost reference) and 10M, offloads off and on, in both labs, 2 pairs of one run per client each.
            Assert.Equal(2 * 2 * 2 * 2 * 2, all.Count);
            foreach (var topology in new[] { "flat", "routed" })
            foreach (var offload in new[] { "off", "on" })
            foreach (var size in new[] { "64K", "10M" })
            foreach (var side in new[] { "kernel", "stack" })
                Assert.Equal(2, all.Count(r => r["topology"] == topology && r["offload"] == offload && r["size"] == size && r["side"] == side && r["sink"] == "dev-null"));
            foreach (var row in all)
            {
                string run = $"{row["side"]} {row["size"]} in the {row["topology"]} lab, offloads {row["offload"]}, pair {row["pair"]}";
                foreach (string figure in new[] { "wall_seconds", "server_in_segs", "server_out_segs" })
                    Assert.True(Number(row, figure) > 0, $"{run}: {figure} is {row[figure]}");
                Assert.True(Number(row, "server_resets") == 0, $"{run}: the server counted {row["server_resets"]} resets");
                if (row["size"] == "10M") Assert.True(Number(row, "transfer_seconds") > 0, $"{run}: no transfer time");
                Assert.Equal(row["side"] == "stack", row["frames_received"].Length > 0);
            }
            // The path, from the server's counters: at most 1348 bytes of payload per segment behind the 1400-byte link, 1448
            // on the flat lab's veth (the body over TcpOutSegs is a little below either: headers, handshake and FIN count too).
            foreach (var row in all.Where(r => r["size"] == "10M"))
            {
                double perSegment = Number(row, "bytes") / Number(row, "server_out_segs");
                if (row["topology"] == "routed") Assert.InRange(perSegment, 1300, 1348);
                else Assert.InRange(perSegment, 1349, 1448);
            }

            string report = File.ReadAllText(Path.Combine(results, "routed.md"));
            foreach (string heading in new[] { "## Verdict: routed ratio / flat ratio, target within ±10%", "## Offloads off", "## Offloads on",
                                               "## The path: MTU and segment size", "## What both clients did with the bytes", "## What limits", "## Method" })
                Assert.Contains(heading, report);
            foreach (var offload in new[] { "off", "on" })
                Assert.Matches($@"\| {offload} \| 10M \| [\d.]+.* \| [\d.]+.* \| [\d.]+ \| [\d.]+–[\d.]+ \| (met|\*\*missed\*\*, (beyond|within) this run's noise) \|", report);
            Assert.Contains("**0 in 32 runs**", report);
            Assert.Contains("- **curl** `-o /dev/null`", report);
            Assert.Contains("bench/run-routed.sh --quick", report);
        }
        finally
        {
            Directory.Delete(results, recursive: true);
        }
    }

    private static double Number(IReadOnlyDictionary<string, string> row, string column) => double.Parse(row[column], CultureInfo.InvariantCulture);
}
