using System.Diagnostics;
using System.Text.RegularExpressions;
using UserTcp.Live.Tests.Support;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// <c>usertcp serve --root</c> (Kestrel over the stack) with the kernel's curl as its client: bodies byte-exact by
/// SHA-256, Range, HEAD, 404, 405, keep-alive, 100 concurrent downloads, and a graceful end on SIGTERM and SIGINT while
/// a download runs. Needs root: fails, never skips, without it.
/// </summary>
public sealed partial class ServeLabTests(ServeLab lab) : IClassFixture<ServeLab>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private string Download(string name, params string[] extra)
    {
        string file = Path.Combine(Path.GetTempPath(), $"usertcp-served-{Guid.NewGuid():N}");
        try
        {
            var result = lab.Curl(Bound, ["-f", "-o", file, .. extra, lab.Url(name)]);
            Assert.True(result.ExitCode == 0, $"curl {name} exited {result.ExitCode}: {result.Error}");
            return FileDigest.Sha256(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("empty.bin")]
    [InlineData("1K.bin")]
    [InlineData("1M.bin")]
    [InlineData("100M.bin")]
    public void A_file_arrives_byte_exact_without_resets(string name)
    {
        var before = Lab.ServerCounters(lab.Info.Name)["TcpEstabResets"];
        Assert.Equal(lab.Digests[name], Download(name));
        Assert.Equal(before, Lab.ServerCounters(lab.Info.Name)["TcpEstabResets"]);
    }

    [Fact]
    public void A_range_request_gets_206_with_exactly_those_bytes()
    {
        string file = Path.Combine(Path.GetTempPath(), $"usertcp-range-{Guid.NewGuid():N}");
        try
        {
            var result = lab.Curl(Bound, "-o", file, "-w", "%{http_code}", "-r", "1000-66535", lab.Url("1M.bin"));
            Assert.Equal("206", result.Output);
            var expected = File.ReadAllBytes(Path.Combine(lab.Root, "1M.bin")).AsSpan(1000, 65536).ToArray();
            Assert.Equal(expected, File.ReadAllBytes(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Head_answers_the_length_without_a_body()
    {
        var result = lab.Curl(Bound, "-I", "-w", "%{size_download}", lab.Url("1M.bin"));
        Assert.StartsWith("HTTP/1.1 200", result.Output);
        Assert.Contains($"Content-Length: {1 << 20}", result.Output);
        Assert.EndsWith("\n0", result.Output.TrimEnd('\r')); // %{size_download}: no body bytes
    }

    [Theory]
    [InlineData("GET", "missing.bin", "404")]
    [InlineData("POST", "1K.bin", "405")]
    [InlineData("PUT", "1K.bin", "405")]
    [InlineData("DELETE", "1K.bin", "405")]
    public void Missing_files_are_404_and_other_methods_405(string method, string name, string status)
    {
        var result = lab.Curl(Bound, "-o", "/dev/null", "-w", "%{http_code}", "-X", method, lab.Url(name));
        Assert.Equal(status, result.Output);
    }

    [Fact] // curl with two URLs reuses its connection: the second transfer makes no new connect
    public void Two_requests_share_one_kept_alive_connection()
    {
        var result = lab.Curl(Bound, "-o", "/dev/null", "-o", "/dev/null", "-w", "%{num_connects} %{http_code}\n", lab.Url("1K.bin"), lab.Url("1M.bin"));
        Assert.Equal("1 200\n0 200\n", result.Output);
    }

    [Fact]
    public void A_hundred_concurrent_downloads_are_byte_exact()
    {
        const int downloads = 100;
        string folder = Directory.CreateTempSubdirectory("usertcp-parallel-").FullName;
        try
        {
            var arguments = new List<string> { "-f", "--parallel", "--parallel-immediate", "--parallel-max", $"{downloads}" };
            for (int i = 0; i < downloads; i++) arguments.AddRange(["-o", Path.Combine(folder, $"{i}"), lab.Url("1M.bin")]);
            var watch = Stopwatch.StartNew();
            var result = lab.Curl(Bound, [.. arguments]);
            Assert.True(result.ExitCode == 0, $"curl exited {result.ExitCode} after {watch.Elapsed}: {result.Error}");
            for (int i = 0; i < downloads; i++) Assert.Equal(lab.Digests["1M.bin"], FileDigest.Sha256(Path.Combine(folder, $"{i}")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory] // a signal during a download: no new connections, the download finishes, the server exits 0 without a reset
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_during_a_download_ends_the_server_gracefully(string signal)
    {
        using var own = new TemporaryLab("ks");
        var info = own.Up(files: "1K", offload: false);
        using var server = ServeLab.StartServe(info.Name, lab.Root);
        string file = Path.Combine(Path.GetTempPath(), $"usertcp-signal-{Guid.NewGuid():N}");
        try
        {
            // 100 MiB at 40 MiB/s: about 2.5 s, well inside the server's 10 s to finish what is in flight.
            var download = Task.Run(() => ServeLab.Curl(info, Bound, "-f", "--limit-rate", "40M", "-o", file, $"http://{info.ClientIp}/100M.bin"));
            await Task.Delay(1000);
            Assert.False(download.IsCompleted, "the download ended before the signal");
            ProcessRunner.RunChecked("kill", [$"-{signal}", $"{server.Id}"], Bound);

            var stopped = server.WaitForExit(Bound);
            var fetched = await download;
            Assert.True(stopped.ExitCode == 0, $"serve exited {stopped.ExitCode}:\n{server.Text}");
            Assert.True(fetched.ExitCode == 0, $"curl exited {fetched.ExitCode}: {fetched.Error}\n{server.Text}");
            Assert.Equal(lab.Digests["100M.bin"], FileDigest.Sha256(file));
            Assert.Matches(ResetsSent(), stopped.Error);
            Assert.Contains("stopped after 1 requests", stopped.Output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory] // the stack sends: with --gso on, the kernel cuts its segments of several MSS (offloads off: in software, before
             // the veth; on: the peer takes them whole), and curl gets every byte
    [InlineData(true)]
    [InlineData(false)]
    public async Task Served_with_gso_a_file_arrives_byte_exact_from_segmented_frames(bool offload)
    {
        using var own = new TemporaryLab("hg");
        var info = own.Up(files: "1K", offload: offload);
        using var server = ServeLab.StartServe(info.Name, lab.Root, "--gso", "on");
        string file = Path.Combine(Path.GetTempPath(), $"usertcp-gso-{Guid.NewGuid():N}");
        try
        {
            var fetched = await Task.Run(() => ServeLab.Curl(info, Bound, "-f", "-o", file, $"http://{info.ClientIp}/100M.bin"));
            Assert.True(fetched.ExitCode == 0, $"curl exited {fetched.ExitCode}: {fetched.Error}\n{server.Text}");
            Assert.Equal(lab.Digests["100M.bin"], FileDigest.Sha256(file));
            ProcessRunner.RunChecked("kill", ["-TERM", $"{server.Id}"], Bound);
            var stopped = server.WaitForExit(Bound);
            Assert.True(stopped.ExitCode == 0, $"serve exited {stopped.ExitCode}:\n{server.Text}");
            var segmented = GsoFramesSent().Match(stopped.Error);
            Assert.True(segmented.Success, $"no gso line in --stats:\n{stopped.Error}");
            long frames = long.Parse(segmented.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(frames > 100, $"{frames} frames sent to be segmented for 100 MiB: no GSO");
            Assert.Matches(ResetsSent(), stopped.Error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex(@"gso frames sent \(kernel segments\)\s+(\d+)\n")]
    private static partial Regex GsoFramesSent();

    [GeneratedRegex(@"tcp resets sent\s+0\n")]
    private static partial Regex ResetsSent();
}
