namespace UserTcp.LiveBench.Results;

/// <summary>The moments the memory measurement takes its figures at, in order.</summary>
internal static class MemoryPhases
{
    public const string Baseline = "baseline";
    public const string Idle = "idle";
    public const string Active = "active";
    public const string TimeWait = "time-wait";
}
