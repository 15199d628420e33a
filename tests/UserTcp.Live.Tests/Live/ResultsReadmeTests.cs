using System.Globalization;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// <c>UserTcp.LiveBench readme</c> on its own: it reads whatever reports and data files exist. A tiny synthetic
/// ack-latency.csv (the format bench/run-ack-latency.sh writes) makes the CDF plot; an empty folder makes a README that
/// names every report as not generated yet. No root needed.
/// </summary>
public sealed class ResultsReadmeTests
{
    private static string Harness => BuiltProgram.LiveBench;

    [Fact]
    public void Ack_latency_samples_make_a_cdf_plot_with_one_curve_per_receiver()
    {
        string results = Directory.CreateTempSubdirectory("readme-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(results, "data"));
            var lines = new List<string> { "receiver,burst,segment_bytes,method,latency_us,count" };
            foreach (int burst in new[] { 16, 64 })
            for (int i = 1; i <= 50; i++)
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"kernel,{burst},1448,observer,{40 + i},1"));
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"stack-cumulative,{burst},1448,in-stack,{(i % 2 == 0 ? 0 : i)},1"));
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"stack-naive,{burst},1448,in-stack,{1 + i / 10},{i % 3 + 1}"));
            }
            File.WriteAllLines(Path.Combine(results, "data", "ack-latency.csv"), lines);

            var run = BuiltProgram.Run(Harness, ["readme", "--results", results], TimeSpan.FromMinutes(1));
            Assert.True(run.ExitCode == 0, $"readme exited {run.ExitCode}:\n{run.Output}\n{run.Error}");

            string svg = File.ReadAllText(Path.Combine(results, "plots", "ack-latency-cdf.svg"));
            Assert.StartsWith("<?xml", svg);
            Assert.Contains("bursts of 64 segments", svg.Replace("&#x20;", " "));
            foreach (string curve in new[] { "kernel (observer, 50 ACKs)", "stack-cumulative (in-stack, 50 ACKs)", "stack-naive (in-stack, 101 ACKs)" }) // 101: that curve's rows count 1 to 3 samples each
                Assert.Contains(curve, svg);
            string readme = File.ReadAllText(Path.Combine(results, "README.md"));
            Assert.Contains("![ACK latency CDF](plots/ack-latency-cdf.svg)", readme);
            Assert.Contains("no data/compare.csv yet", readme);
        }
        finally
        {
            Directory.Delete(results, recursive: true);
        }
    }

    [Fact]
    public void An_empty_results_folder_makes_a_readme_that_names_what_is_missing()
    {
        string results = Directory.CreateTempSubdirectory("readme-").FullName;
        try
        {
            var run = BuiltProgram.Run(Harness, ["readme", "--results", results], TimeSpan.FromMinutes(1));
            Assert.True(run.ExitCode == 0, $"readme exited {run.ExitCode}:\n{run.Output}\n{run.Error}");
            string readme = File.ReadAllText(Path.Combine(results, "README.md"));
            foreach (string report in new[] { "compare.md", "routed.md", "ack-latency.md", "live.md", "soak.md", "fuzz.md", "tcp.md", "wire.md" })
                Assert.Contains(report, readme);
            Assert.Contains("Not generated yet", readme);
            Assert.False(Directory.Exists(Path.Combine(results, "plots")), "no data, so no plot");
        }
        finally
        {
            Directory.Delete(results, recursive: true);
        }
    }
}
