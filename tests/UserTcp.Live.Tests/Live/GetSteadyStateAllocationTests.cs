using System.Security.Cryptography;
using System.Text.RegularExpressions;
using UserTcp.Live.Tests.Devices;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// The steady state of a real download allocates nothing per frame on the poll thread: <c>usertcp get --stats</c>
/// fetches 16 or 64 MiB from the lab's nginx, and the poll thread's own work (receive, TCP, pumping the stream, ACKs; not
/// the application's queued commands nor the runtime's queueing of woken continuations, counted apart) allocated exactly
/// 0 bytes in its steady-state window: from the last of the marks 1, 2, 3, 4, 6, 8, … frames at or below a quarter of
/// the frames (the warm-up: first calls, JIT tiers, the connection's start) to the last at or below seven eighths
/// (the connection's end stays outside). The body is checked byte for byte. Needs root: fails, never skips.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class GetSteadyStateAllocationTests
{
    private static string Cli => BuiltProgram.Usertcp;

    [Theory]
    [InlineData(false, 10_000, "64M")] // some 46,000 MTU-sized frames: the per-packet case
    [InlineData(true, 256, "64M")]     // GSO frames of up to 64 KiB: at least 1,024 frames, a third of them in the window
    // Some 11,600 frames: the window runs from frame 2,048 to 8,192 (2.8 to 11 MiB), so it holds the device's move from its
    // socket to the ring (started at PcapDevice.RingAfterBytes, 4 MiB; the ring is ready a few ms later, a few MiB at
    // this link's 5 Gbit/s), which must allocate nothing on the poll thread either.
    [InlineData(false, 4_000, "16M")]
    public void A_download_allocates_nothing_on_the_poll_thread_in_the_steady_state(bool offload, long minimumWindow, string file)
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(files: file, offload: offload);
        string body = Path.Combine(Path.GetTempPath(), $"usertcp-steady-{Guid.NewGuid():N}");
        try
        {
            var run = BuiltProgram.Run(Cli, ["get", info.Files[file].Url, "-o", body, "--lab", lab.Name, "--stats"], TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == 0, run.Error);
            using (var stream = File.OpenRead(body))
                Assert.Equal(info.Files[file].Sha256, Convert.ToHexStringLower(SHA256.HashData(stream)));

            long frames = Stat(run.Error, "frames received"), window = Stat(run.Error, "poll thread steady-state frames");
            Assert.True(window >= minimumWindow, $"the steady-state window held only {window} of {frames} frames:\n{run.Error}");
            Assert.True(Stat(run.Error, "poll thread steady-state bytes") == 0,
                        $"the poll thread's own work allocated in the steady state ({window} frames):\n{run.Error}");
        }
        finally
        {
            File.Delete(body);
        }
    }

    /// <summary>A "  name   value" line of the --stats block.</summary>
    private static long Stat(string stats, string name)
    {
        var line = Regex.Match(stats, $@"^  {Regex.Escape(name)}\s+(\d+)$", RegexOptions.Multiline);
        Assert.True(line.Success, $"--stats printed no '{name}' line:\n{stats}");
        return long.Parse(line.Groups[1].Value);
    }
}
