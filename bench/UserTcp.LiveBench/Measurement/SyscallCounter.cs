using System.Diagnostics;
using System.Globalization;

namespace UserTcp.LiveBench.Measurement;

/// <summary>
/// <c>strace -c -f</c> attached to every thread of a stack process for a measured window: system calls by name. strace
/// stops the tracee at each call, so the traced run is slower and batches differ from untraced runs: its timings are
/// not reported, only its counts.
/// </summary>
internal sealed class SyscallCounter : IDisposable
{
    private static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(10);
    private readonly Process _strace;
    private readonly string _summaryFile;

    private SyscallCounter(Process strace, string summaryFile)
    {
        _strace = strace;
        _summaryFile = summaryFile;
    }

    /// <summary>Attaches to <paramref name="pid"/> and returns once every one of its threads is traced.</summary>
    public static SyscallCounter Attach(int pid)
    {
        string summary = Path.Combine(Path.GetTempPath(), $"livebench-strace-{pid}.txt");
        var info = new ProcessStartInfo("strace") { UseShellExecute = false, RedirectStandardError = true };
        foreach (string argument in new[] { "-c", "-f", "-o", summary, "-p", pid.ToString(CultureInfo.InvariantCulture) }) info.ArgumentList.Add(argument);
        var strace = Process.Start(info) ?? throw new BenchException("could not start strace");
        var counter = new SyscallCounter(strace, summary);
        var clock = Stopwatch.StartNew();
        while (!AllThreadsTraced(pid))
        {
            if (strace.HasExited || clock.Elapsed > AttachTimeout)
            {
                counter.Dispose();
                throw new BenchException($"strace did not attach to process {pid}");
            }
            Thread.Sleep(5);
        }
        return counter;
    }

    /// <summary>Detaches (SIGINT makes strace write its summary) and returns calls per system call name.</summary>
    public Dictionary<string, long> Stop()
    {
        ToolProcess.Interrupt(_strace, "strace");
        return Parse(File.ReadAllLines(_summaryFile));
    }

    public void Dispose()
    {
        if (!_strace.HasExited) _strace.Kill();
        _strace.Dispose();
        File.Delete(_summaryFile);
    }

    private static bool AllThreadsTraced(int pid) =>
        Directory.GetDirectories($"/proc/{pid}/task").All(task =>
        {
            try
            {
                return File.ReadLines(Path.Combine(task, "status")).Any(line =>
                    line.StartsWith("TracerPid:", StringComparison.Ordinal) && line.Split('\t')[1].Trim() != "0");
            }
            catch (IOException)
            {
                return true; // the thread ended meanwhile
            }
        });

    /// <summary>strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall; the total row is left out.</summary>
    private static Dictionary<string, long> Parse(IEnumerable<string> lines)
    {
        var calls = new Dictionary<string, long>();
        foreach (string line in lines)
        {
            string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length < 5 || !double.TryParse(columns[0], NumberStyles.Float, CultureInfo.InvariantCulture, out _) || columns[^1] == "total") continue;
            calls[columns[^1]] = long.Parse(columns[3], CultureInfo.InvariantCulture);
        }
        if (calls.Count == 0) throw new BenchException("strace counted no system call");
        return calls;
    }
}
