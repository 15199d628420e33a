using System.Globalization;
using UserTcp.Live.Tests.Devices;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// The harness behind bench/run-perf.sh in quick mode, in a lab of its own: curl and <c>usertcp get</c> in alternating
/// pairs, offloads off and on, both clients of a pair into the same sink, /dev/null and a tmpfs file. It proves the
/// harness measured: every run finished with the file's byte count as its client reported it, and byte-exact in the
/// file sink (the harness fails a run otherwise), the raw data has every run with its sink and its figures present and
/// positive, and the report (headline from /dev/null, a section per sink), README and plots were written. Uploads too:
/// curl -T and <c>usertcp put</c> of one tmpfs file, every body counted whole by the lab's upload sink. It asserts no
/// timing. Needs root: fails, never skips.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class PerfCompareHarnessTests
{
    private static string Harness => BuiltProgram.LiveBench;

    [Fact]
    public void Quick_compare_measures_both_clients_byte_exact_and_writes_the_report_and_data()
    {
        // The harness makes and removes its own lab under this name; disposing removes it only when the harness could not
        // (it was killed, say): then nothing else would.
        using var lab = new TemporaryLab("pc");
        string results = Directory.CreateTempSubdirectory("perf-quick-").FullName;
        try
        {
            var compare = BuiltProgram.Run(Harness, ["compare", "--quick", "--lab", lab.Name, "--results", results, "--commit", "test"], TimeSpan.FromMinutes(3));
            Assert.True(compare.ExitCode == 0, $"compare exited {compare.ExitCode}:\n{compare.Output}\n{compare.Error}");
            var readme = BuiltProgram.Run(Harness, ["readme", "--results", results], TimeSpan.FromMinutes(1));
            Assert.True(readme.ExitCode == 0, $"readme exited {readme.ExitCode}:\n{readme.Output}\n{readme.Error}");

            var everyRun = Csv.Read(Path.Combine(results, "data", "compare.csv"));
            // Uploads: 10M PUT by curl -T and usertcp put, offloads off and on, 2 pairs; the server's count was checked by the harness.
            var uploads = everyRun.Where(r => r["direction"] == "upload").ToList();
            Assert.Equal(2 * 2 * 2, uploads.Count);
            foreach (var offload in new[] { "off", "on" })
            foreach (var side in new[] { "kernel", "stack" })
                Assert.Equal(2, uploads.Count(r => r["offload"] == offload && r["size"] == "10M" && r["side"] == side));
            Assert.All(uploads, r => Assert.True(Number(r, "transfer_seconds") > 0 && Number(r, "server_in_segs") > 0, $"upload {r["side"]}: no transfer"));
            Assert.All(uploads.Where(r => r["side"] == "stack"), r => Assert.True(Number(r, "frames_sent") > Number(r, "device_send_calls"), "the stack's sends were not batched"));
            var all = everyRun.Where(r => r["direction"] == "download").ToList();
            // 64K (the fixed-cost reference) and 10M, offloads off and on, each into both sinks, 2 pairs, each pair one run per
            // client; and dd writing 10M into tmpfs alone as often (the file sink's cost).
            Assert.Equal(2 * 2 * 2 * 2 * 2 + 2 * 2, all.Count);
            foreach (var offload in new[] { "off", "on" })
            {
                foreach (var sink in new[] { "dev-null", "tmpfs-file" })
                foreach (var size in new[] { "64K", "10M" })
                foreach (var side in new[] { "kernel", "stack" })
                    Assert.Equal(2, all.Count(r => r["offload"] == offload && r["sink"] == sink && r["size"] == size && r["side"] == side));
                Assert.Equal(2, all.Count(r => r["offload"] == offload && r["sink"] == "tmpfs-file" && r["size"] == "10M" && r["side"] == "tmpfs-write"));
            }
            var rows = all.Where(r => r["side"] != "tmpfs-write").ToList();
            foreach (var row in rows)
            {
                string run = $"{row["side"]} {row["size"]} into {row["sink"]} offloads {row["offload"]} pair {row["pair"]}";
                foreach (string figure in new[] { "wall_seconds", "max_rss_kib", "server_in_segs" })
                    Assert.True(Number(row, figure) > 0, $"{run}: {figure} is {row[figure]}");
                Assert.True(Number(row, "user_seconds") + Number(row, "system_seconds") > 0, $"{run}: no CPU time");
                if (row["size"] == "10M") Assert.True(Number(row, "transfer_seconds") > 0, $"{run}: no transfer time");
                if (row["side"] == "kernel")
                {
                    Assert.Equal("", row["frames_received"]);
                    continue;
                }
                foreach (string figure in new[] { "frames_received", "acks_sent", "device_receive_calls", "allocated_bytes", "poll_cpu_seconds" })
                    Assert.True(Number(row, figure) > 0, $"{run}: {figure} is {row[figure]}");
            }
            // With offloads off a 10 MiB body is some 7,000 MTU-sized frames: enough for a steady-state window in every run.
            Assert.All(rows.Where(r => r["side"] == "stack" && r["size"] == "10M" && r["offload"] == "off"),
                       r => Assert.True(Number(r, "steady_frames") > 1000, $"steady-state window of {r["steady_frames"]} frames"));

            string report = File.ReadAllText(Path.Combine(results, "compare.md"));
            foreach (string heading in new[] { "## Summary", "## Targets (reported, not asserted)", "## Body to /dev/null (the headline)", "## Body to a tmpfs file",
                                               "### Offloads off, body to /dev/null", "### Offloads on, body to a tmpfs file", "## What limits the stack", "## Method",
                                               "## Uploads: PUT to the lab's upload sink", "### Uploads, offloads off", "### Uploads, offloads on" })
                Assert.Contains(heading, report);
            // The headline is the /dev/null pairs', and the report says what each client did with the bytes.
            string summary = report[report.IndexOf("## Summary", StringComparison.Ordinal)..report.IndexOf("## Targets", StringComparison.Ordinal)];
            Assert.Contains("- **Offloads off, 10M, both bodies to /dev/null**", summary);
            Assert.Contains("- **Offloads on, 10M, both bodies to /dev/null**", summary);
            Assert.DoesNotContain("- **Offloads off, 10M, both bodies to a tmpfs file", summary);
            Assert.Matches(@"\| server retransmissions per GiB ≤ the kernel receiver's, offloads off \(10M, both to /dev/null\) \| stack [\d.]+, kernel [\d.]+ .*\| (met|\*\*missed\*\*) \|", report);
            Assert.Matches(@"\| 0 delayed-ACK timer expiries in every download \(both sinks\) \| \d+ in \d+ stack runs \| (met|\*\*missed\*\*) \|", report);
            Assert.Contains("- **curl** `-o /dev/null`", report);
            Assert.Contains("- **usertcp get** `-o /dev/null`", report);
            Assert.Contains("Every body written to a file matched the served file's SHA-256", report);
            string readmeText = File.ReadAllText(Path.Combine(results, "README.md"));
            Assert.Contains("[compare.md](compare.md)", readmeText);
            foreach (string plot in new[] { "throughput.svg", "cpu-per-gib.svg" })
            {
                Assert.Contains($"plots/{plot}", readmeText);
                Assert.StartsWith("<?xml", File.ReadAllText(Path.Combine(results, "plots", plot)));
            }
        }
        finally
        {
            Directory.Delete(results, recursive: true);
        }
    }

    private static double Number(IReadOnlyDictionary<string, string> row, string column) => double.Parse(row[column], CultureInfo.InvariantCulture);
}
