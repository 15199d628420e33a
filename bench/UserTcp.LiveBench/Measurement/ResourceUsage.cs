using System.Runtime.InteropServices;
using UserTcp.Fast.Native;

namespace UserTcp.LiveBench.Measurement;

/// <summary>struct rusage on Linux x86-64/arm64 (getrusage(2)): two timevals, then 14 longs this program does not read.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ResourceUsage
{
    private TimeVal _user;
    private TimeVal _system;
    private fixed long _rest[14];

    public readonly TimeSpan User => _user.ToTimeSpan();

    public readonly TimeSpan System => _system.ToTimeSpan();

    /// <param name="who"><see cref="Libc.RUSAGE_SELF"/> (every thread), <see cref="Libc.RUSAGE_THREAD"/> (the calling one) or
    /// <see cref="Libc.RUSAGE_CHILDREN"/> (every child this process has waited for, their own waited-for descendants included).</param>
    public static ResourceUsage Of(int who)
    {
        ResourceUsage usage;
        if (Libc.GetRusage(who, &usage) != 0) throw new InvalidOperationException($"getrusage failed: errno {Libc.LastErrno}");
        return usage;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public long Seconds;
        public long Microseconds;

        public readonly TimeSpan ToTimeSpan() => TimeSpan.FromTicks(Seconds * TimeSpan.TicksPerSecond + Microseconds * TimeSpan.TicksPerMicrosecond);
    }
}
