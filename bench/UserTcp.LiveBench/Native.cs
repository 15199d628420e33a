using System.Runtime.InteropServices;

namespace UserTcp.LiveBench;

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
