using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// <c>usertcp put</c> against the lab's upload sink, a python kernel-socket server that answers with the byte count and
/// SHA-256 of the body only after all of it is in: a 16 MiB upload (from a file, with Content-Length, and from stdin,
/// chunked) must arrive byte-exact, with batched sends (more frames than send calls); a 404, a refused port and a reset
/// mid-body must each be exit code 1 and one clear line, in bounded time. Needs root: fails, never skips.
/// </summary>
public sealed class PutLabTests
{
    private static readonly TimeSpan FailureBound = TimeSpan.FromSeconds(15);

    private static ProcessResult Put(TimeSpan timeout, params string[] arguments) =>
        BuiltProgram.Run(BuiltProgram.Usertcp, ["put", .. arguments], timeout);

    /// <summary>A file of <paramref name="bytes"/> random bytes and its SHA-256.</summary>
    private static (string Path, string Sha256) RandomFile(int bytes)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"usertcp-put-{Guid.NewGuid():N}");
        var content = RandomNumberGenerator.GetBytes(bytes);
        File.WriteAllBytes(path, content);
        return (path, Convert.ToHexStringLower(SHA256.HashData(content)));
    }

    [Theory] // with offloads on and off, and with the stack's own segmentation offload (GSO) on and off: the sink counted
             // every byte and its digest is the file's; the kernel segmented what the stack handed it whole (with offloads off
             // too: the veth then takes no frame above the MTU, so GSO cuts in software before it)
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void A_16_MiB_upload_is_byte_exact(bool offload, bool gso)
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(offload: offload);
        var (file, sha256) = RandomFile(16 << 20);
        string response = file + ".response";
        try
        {
            var result = Put(TimeSpan.FromMinutes(2), [info.UploadUrl, file, "-o", response, "--lab", lab.Name, "--stats", "--gso", gso ? "on" : "off"]);
            Assert.True(result.ExitCode == 0, $"put exited {result.ExitCode}:\n{result.Error}");
            using (var answer = JsonDocument.Parse(File.ReadAllText(response)))
            {
                Assert.Equal(16L << 20, answer.RootElement.GetProperty("bytes").GetInt64());
                Assert.Equal(sha256, answer.RootElement.GetProperty("sha256").GetString());
            }
            Assert.Matches(@$": {16 << 20} bytes in [0-9.]+ s, [0-9.]+ Gbit/s; ACKs sent \d+, retransmissions \d+, frames dropped \d+; HTTP 200 OK", result.Error);
            long frames = Stat(result.Error, "device frames sent"), calls = Stat(result.Error, "device send calls");
            Assert.True(frames > 2 * calls, $"{frames} frames in {calls} send calls: not batched");
            long segmented = Stat(result.Error, "gso frames sent (kernel segments)");
            if (gso) Assert.True(segmented > 0 && frames < (16 << 20) / 1448, $"{segmented} of {frames} frames sent to be segmented: no GSO");
            else Assert.Equal(0, segmented);
        }
        finally
        {
            File.Delete(file);
            File.Delete(response);
        }
    }

    [Fact] // from a pipe the size is unknown: the body goes chunked, and the sink decodes it
    public void An_upload_from_stdin_is_chunked_and_byte_exact()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        var (file, sha256) = RandomFile(4 << 20);
        try
        {
            var result = ProcessRunner.Run("sh", ["-c", $"exec \"$0\" \"$@\" < {file}", BuiltProgram.Usertcp, "put", info.UploadUrl, "-", "-X", "POST", "--lab", lab.Name],
                                           TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, $"put exited {result.ExitCode}:\n{result.Error}");
            using var answer = JsonDocument.Parse(result.Output);
            Assert.Equal((4L << 20, sha256), (answer.RootElement.GetProperty("bytes").GetInt64(), answer.RootElement.GetProperty("sha256").GetString()));
            Assert.Contains("bytes (chunked) in", result.Error);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_404_fails_with_the_status_line()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        Assert.Contains("HTTP 404 Not Found", Failing(info, $"{UploadSink.BaseUrl}/nowhere"));
    }

    [Fact] // the server's kernel answers the SYN with a RST
    public void A_refused_port_fails_clearly()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        Assert.Contains("connection refused", Failing(info, $"http://{info.ServerIp}:8089/upload"));
    }

    [Fact] // the sink aborts (RST) after 1 MiB of the body
    public void A_reset_mid_body_fails_clearly()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        Assert.Contains("connection reset by peer", Failing(info, $"{UploadSink.BaseUrl}/reset"));
    }

    /// <summary>Uploads 4 MiB to <paramref name="url"/>, which must fail: exit 1, one line, within the bound; returns stderr.</summary>
    private static string Failing(LabInfo info, string url)
    {
        var (file, _) = RandomFile(4 << 20);
        try
        {
            var watch = Stopwatch.StartNew();
            var result = Put(FailureBound * 2, [url, file, "--lab", info.Name]);
            Assert.True(result.ExitCode == 1, $"put {url} exited {result.ExitCode}, expected 1:\n{result.Error}");
            Assert.True(watch.Elapsed < FailureBound, $"put {url} took {watch.Elapsed} to fail");
            string[] lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1 && lines[0].StartsWith($"usertcp put: {url}: ", StringComparison.Ordinal), $"not one clear line:\n{result.Error}");
            Assert.Empty(ProcessRunner.RunChecked("ip", ["netns", "pids", info.ClientNetns], FailureBound).Output.Trim());
            return result.Error;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static long Stat(string output, string name) =>
        long.Parse(output.Split('\n').Single(line => line.TrimStart().StartsWith(name + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]);
}
