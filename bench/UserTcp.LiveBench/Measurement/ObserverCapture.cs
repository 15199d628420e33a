using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Measurement;

/// <summary>
/// The external observer: tcpdump on the server's veth end inside the server namespace, writing every frame of a range of
/// TCP ports with nanosecond timestamps (taken by the kernel as each frame passes, whenever tcpdump reads it). Not in immediate
/// mode: tcpdump then reads the ring a block at a time instead of waking for every frame, so it takes less of the two
/// cores from the receivers it observes. A block reaches tcpdump when it is full or after tcpdump's 1 s timeout, so <see cref="Stop"/> first waits for the last
/// one. A 64 MiB kernel buffer rides out the warm-up transfers.
/// </summary>
internal sealed partial class ObserverCapture : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    /// <summary>tcpdump's packet buffer timeout (pcap_set_timeout 1000 ms), which is TPACKET_V3's block timeout.</summary>
    private static readonly TimeSpan BlockTimeout = TimeSpan.FromSeconds(1);
    private readonly Process _tcpdump;
    private readonly BlockingCollection<string?> _errorLines = new();

    private ObserverCapture(Process tcpdump)
    {
        _tcpdump = tcpdump;
        tcpdump.ErrorDataReceived += (_, e) => _errorLines.Add(e.Data);
        tcpdump.OutputDataReceived += (_, _) => { };
        tcpdump.BeginErrorReadLine();
        tcpdump.BeginOutputReadLine();
    }

    /// <summary>Starts tcpdump and returns once it captures (it says "listening on").</summary>
    public static ObserverCapture Start(LabInfo lab, string file, ushort firstPort, ushort lastPort)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // ip netns exec replaces itself with tcpdump, so the process started here is tcpdump and SIGINT reaches it.
        foreach (string argument in new[] { "netns", "exec", lab.ServerNetns, "tcpdump", "-i", lab.ServerIface, "-n", "-w", file,
                                            "--time-stamp-precision", "nano", "-B", "65536", $"tcp portrange {firstPort}-{lastPort}" })
            info.ArgumentList.Add(argument);
        var capture = new ObserverCapture(Process.Start(info) ?? throw new BenchException("could not start tcpdump"));
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var left = StartTimeout - clock.Elapsed;
            if (left <= TimeSpan.Zero || !capture._errorLines.TryTake(out string? line, left))
            {
                capture.Dispose();
                throw new BenchException($"tcpdump did not start capturing within {StartTimeout.TotalSeconds:0} s");
            }
            if (line is null)
            {
                capture.Dispose();
                throw new BenchException($"tcpdump exited before capturing (exit {capture._tcpdump.ExitCode})");
            }
            if (line.Contains("listening on", StringComparison.Ordinal)) return capture;
        }
    }

    /// <summary>
    /// Waits until the ring's last block has been handed to tcpdump (its block timeout is 1 s), stops it (SIGINT: it flushes
    /// the file and prints its counts) and returns the counts: captured equals received by the filter when nothing was left.
    /// </summary>
    public CaptureCounts Stop()
    {
        Thread.Sleep(BlockTimeout + TimeSpan.FromMilliseconds(500));
        ToolProcess.Interrupt(_tcpdump, "tcpdump");
        string summary = string.Join('\n', _errorLines.Where(line => line is not null));
        long Count(Regex pattern) => pattern.Match(summary) is { Success: true } match
            ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new BenchException($"tcpdump printed no counts:\n{summary}");
        return new CaptureCounts(Count(CapturedLine()), Count(ReceivedLine()), Count(DroppedLine()));
    }

    public void Dispose()
    {
        if (!_tcpdump.HasExited) _tcpdump.Kill();
        _tcpdump.Dispose();
    }

    [GeneratedRegex(@"(\d+) packets? captured")]
    private static partial Regex CapturedLine();

    [GeneratedRegex(@"(\d+) packets? received by filter")]
    private static partial Regex ReceivedLine();

    [GeneratedRegex(@"(\d+) packets? dropped by kernel")]
    private static partial Regex DroppedLine();
}
