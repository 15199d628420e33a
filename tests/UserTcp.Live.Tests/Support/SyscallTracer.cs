using System.Diagnostics;
using System.Globalization;
using UserTcp.Fast.Native;

namespace UserTcp.Live.Tests.Support;

/// <summary>
/// Counts the system calls one thread makes while it runs an action, with <c>strace -c</c> attached to that thread
/// alone (the test host's other threads and child tools are not traced).
/// </summary>
internal static class SyscallTracer
{
    /// <summary>Runs <paramref name="action"/> on the calling thread under strace; returns calls per syscall name.</summary>
    public static Dictionary<string, long> CountCalls(Action action)
    {
        int tid = Libc.GetTid();
        string summary = Path.Combine(Path.GetTempPath(), $"utd-strace-{Environment.ProcessId}-{tid}.txt");
        var info = new ProcessStartInfo("strace") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", "-o", summary, "-p", tid.ToString(CultureInfo.InvariantCulture) }) info.ArgumentList.Add(argument);
        using var strace = Process.Start(info) ?? throw new InvalidOperationException("could not start strace (scripts/setup.sh installs it)");
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!IsTraced(tid))
            {
                if (deadline.Elapsed > TimeSpan.FromSeconds(10) || strace.HasExited)
                {
                    if (!strace.HasExited) strace.Kill();
                    Assert.Fail($"strace did not attach to thread {tid}: {strace.StandardError.ReadToEnd()}");
                }
                Thread.Sleep(5);
            }
            action();
        }
        finally
        {
            Libc.Kill(strace.Id, Libc.SIGINT);
            strace.WaitForExit(10_000);
        }
        try
        {
            return Parse(File.ReadAllLines(summary));
        }
        finally
        {
            File.Delete(summary);
        }
    }

    private static bool IsTraced(int tid) =>
        File.ReadLines($"/proc/self/task/{tid}/status").Any(line => line.StartsWith("TracerPid:", StringComparison.Ordinal) && line.Split('\t')[1].Trim() != "0");

    /// <summary>strace -c lines: % time, seconds, usecs/call, calls, [errors,] syscall.</summary>
    private static Dictionary<string, long> Parse(IEnumerable<string> lines)
    {
        var calls = new Dictionary<string, long>();
        foreach (var line in lines)
        {
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length < 5 || !double.TryParse(columns[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _)) continue;
            if (columns[^1] == "total") continue;
            calls[columns[^1]] = long.Parse(columns[3], CultureInfo.InvariantCulture);
        }
        return calls;
    }
}
