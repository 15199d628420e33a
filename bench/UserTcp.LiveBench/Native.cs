using System.Runtime.InteropServices;

namespace UserTcp.LiveBench;

/// <summary>CPU time consumed so far (getrusage(2)): by the whole process (every thread: JIT, GC, the loop) and by the calling thread.</summary>
internal readonly record struct CpuTime(TimeSpan ProcessUser, TimeSpan ProcessSystem, TimeSpan ThreadUser, TimeSpan ThreadSystem)
{
    public static CpuTime Now() => Native.ReadCpuTime();

    public static CpuTime operator -(CpuTime after, CpuTime before) => new(
        after.ProcessUser - before.ProcessUser, after.ProcessSystem - before.ProcessSystem,
        after.ThreadUser - before.ThreadUser, after.ThreadSystem - before.ThreadSystem);
}

internal static unsafe partial class Native
{
    private const int RusageSelf = 0;
    private const int RusageThread = 1;
    private const int RusageChildren = -1;
    public const int SigInt = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds;
        public long Microseconds;

        public readonly TimeSpan ToTimeSpan() => TimeSpan.FromTicks(Seconds * TimeSpan.TicksPerSecond + Microseconds * TimeSpan.TicksPerMicrosecond);
    }

    /// <summary>struct rusage on Linux x86-64/arm64: two timevals, then 14 longs this program does not read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceUsage
    {
        public TimeVal User;
        public TimeVal System;
        public fixed long Rest[14];
    }

    public static CpuTime ReadCpuTime()
    {
        ResourceUsage process, thread;
        if (getrusage(RusageSelf, &process) != 0 || getrusage(RusageThread, &thread) != 0)
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        return new CpuTime(process.User.ToTimeSpan(), process.System.ToTimeSpan(), thread.User.ToTimeSpan(), thread.System.ToTimeSpan());
    }

    /// <summary>getrusage(RUSAGE_CHILDREN): the CPU time of every child this process has waited for, their own waited-for descendants included.</summary>
    public static (TimeSpan User, TimeSpan System) ReadChildrenCpuTime()
    {
        ResourceUsage children;
        if (getrusage(RusageChildren, &children) != 0)
            throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
        return (children.User.ToTimeSpan(), children.System.ToTimeSpan());
    }

    public static void Signal(int pid, int signal)
    {
        if (kill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, ResourceUsage* usage);

    public static int CurrentThreadId() => gettid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial int gettid();
}

/// <summary>
/// CPU time of this process's other threads (not the calling one, which runs the poll loop), summed by thread name
/// (/proc/self/task/*/stat: the runtime names its threads, ".NET Tiered Com", ".NET SigHandler" …). The kernel counts
/// it in clock ticks (10 ms), so it says where the rest of the process CPU goes, not to the microsecond.
/// </summary>
internal static class OtherThreadsCpu
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static Dictionary<string, double> Now()
    {
        string self = Native.CurrentThreadId().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var byName = new Dictionary<string, double>();
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            if (Path.GetFileName(task) == self) continue;
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }
            // "tid (name) state ppid …": the name may hold spaces, so fields are counted after its closing parenthesis;
            // utime and stime are fields 14 and 15, the 12th and 13th after it.
            int open = stat.IndexOf('('), close = stat.LastIndexOf(')');
            string name = stat[(open + 1)..close];
            string[] fields = stat[(close + 2)..].Split(' ');
            double seconds = (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) +
                              long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / TicksPerSecond;
            byName[name] = byName.GetValueOrDefault(name) + seconds;
        }
        return byName;
    }

    public static Dictionary<string, double> Since(Dictionary<string, double> before) =>
        Now().Select(kv => (kv.Key, Seconds: kv.Value - before.GetValueOrDefault(kv.Key)))
             .Where(t => t.Seconds > 0)
             .ToDictionary(t => t.Key, t => t.Seconds);
}
