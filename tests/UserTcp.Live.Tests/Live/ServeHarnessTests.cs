using System.Globalization;
using UserTcp.Live.Tests.Devices;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// The harness behind bench/run-serve.sh in quick mode, in a lab of its own (the lab the other way round: servers in the
/// client namespace, kernel clients in the server namespace): every server (the stack, Kestrel on kernel sockets, nginx)
/// answered wrk at every size and connection count, the accept-rate run, the bulk file with offloads on and off, and held
/// every idle connection asked; the SYN flood at the stack ran with legitimate requests during it; the report has its
/// sections and no failure note, and the README indexes it with its plots. It asserts counts and shape, never a timing.
/// Needs root: fails, never skips.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class ServeHarnessTests
{
    private static readonly string[] Servers = ["stack", "kestrel-kernel", "nginx"];

    [Fact]
    public void Quick_serve_measures_every_server_and_writes_the_report_data_and_plots()
    {
        using var lab = new TemporaryLab("sv");
        string results = Directory.CreateTempSubdirectory("serve-quick-").FullName;
        try
        {
            var serve = BuiltProgram.Run(BuiltProgram.LiveBench, ["serve", "--quick", "--lab", lab.Name, "--results", results, "--commit", "test"], TimeSpan.FromMinutes(5));
            Assert.True(serve.ExitCode == 0, $"serve exited {serve.ExitCode}:\n{serve.Output}\n{serve.Error}");
            var readme = BuiltProgram.Run(BuiltProgram.LiveBench, ["readme", "--results", results], TimeSpan.FromMinutes(1));
            Assert.True(readme.ExitCode == 0, $"readme exited {readme.ExitCode}:\n{readme.Output}\n{readme.Error}");

            string report = File.ReadAllText(Path.Combine(results, "serve.md"));
            string notes = report[report.IndexOf("## Notes", StringComparison.Ordinal)..];
            Assert.DoesNotContain("failed", notes);
            Assert.DoesNotContain("not measured", notes);
            var rows = Csv.Read(Path.Combine(results, "data", "serve.csv"));
            double Value(string test, string server, string metric, Func<Dictionary<string, string>, bool>? which = null) =>
                double.Parse(Assert.Single(rows, r => r["test"] == test && r["server"] == server && r["metric"] == metric && (which?.Invoke(r) ?? true))["value"], CultureInfo.InvariantCulture);
            foreach (string server in Servers)
            {
                // Quick: 1K and 64K at 1 and 64 connections, one round each.
                foreach (string size in new[] { "1K", "64K" })
                foreach (string connections in new[] { "1", "64" })
                {
                    bool Case(Dictionary<string, string> r) => r["size"] == size && r["connections"] == connections;
                    Assert.True(Value("requests", server, "rps", Case) > 0, $"{server} {size} at {connections}: no requests");
                    Assert.True(Value("requests", server, "p99_ms", Case) >= Value("requests", server, "p50_ms", Case), $"{server} {size} at {connections}: p99 below p50");
                    Assert.True(Value("requests", server, "rss_during", Case) > 0, $"{server}: no resident set read");
                }
                Assert.True(Value("accept", server, "connections_per_s") > 0, $"{server}: no connection accepted");
                foreach (string offload in new[] { "on", "off" })
                    Assert.True(Value("bulk", server, "gbit_per_s", r => r["offload"] == offload) > 0, $"{server}: no bulk transfer, offloads {offload}");
                Assert.Equal(100, Value("idle", server, "held"));
            }
            // 5,000 SYNs at the stack, and legitimate requests before, during and after them.
            Assert.Equal(5000, Value("flood", "stack", "syns_sent"));
            Assert.True(Value("flood", "stack", "legit_before") > 0, "no legitimate request before the flood");
            Assert.True(Value("flood", "stack", "legit_during") > 0, "no legitimate request during the flood");
            Assert.True(Value("flood", "stack", "rss_during_peak") > 0, "no resident set sampled during the flood");

            foreach (string heading in new[] { "## Targets (issue 12)", "## Method", "## Requests per second and latency (wrk)", "## Accept rate (one request per connection)",
                                               "## 16M to curl (into /dev/null)", "## Memory per idle connection", "## SYN flood at the stack" })
                Assert.Contains(heading, report);
            Assert.Matches(@"- \*\*Requests per second\*\*, 1K at 64 connections, stack ≥ 0.8× Kestrel on kernel sockets: (met|missed) \(", report);
            Assert.Matches(@"- \*\*SYN flood\*\*, legitimate requests succeeding during it ≥ 99%: (met|missed) \(", report);
            string readmeText = File.ReadAllText(Path.Combine(results, "README.md"));
            Assert.Contains("[serve.md](serve.md)", readmeText);
            foreach (string plot in new[] { "serve-rps.svg", "serve-p99.svg" })
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
}
