using UserTcp.Fast.Native;

namespace UserTcp.LiveBench.Measurement;

/// <summary>CPU time consumed so far (getrusage(2)): by the whole process (every thread: JIT, GC, the loop) and by the calling thread.</summary>
internal readonly record struct CpuTime(TimeSpan ProcessUser, TimeSpan ProcessSystem, TimeSpan ThreadUser, TimeSpan ThreadSystem)
{
    public static CpuTime Now()
    {
        var process = ResourceUsage.Of(Libc.RUSAGE_SELF);
        var thread = ResourceUsage.Of(Libc.RUSAGE_THREAD);
        return new CpuTime(process.User, process.System, thread.User, thread.System);
    }

    public static CpuTime operator -(CpuTime after, CpuTime before) => new(
        after.ProcessUser - before.ProcessUser, after.ProcessSystem - before.ProcessSystem,
        after.ThreadUser - before.ThreadUser, after.ThreadSystem - before.ThreadSystem);
}
