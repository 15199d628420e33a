namespace UserTcp.LiveBench.Results;

/// <summary>
/// One sample of the soak's stack process, taken by the process itself: its resident set (VmRSS), open descriptors
/// (/proc/self/fd), managed heap (without a collection), threads, the clients' totals so far and the stack's table sizes
/// and reset counter. The orchestrator adds the lab's loss and rate at the moment the sample arrived.
/// </summary>
internal sealed record SoakSample(
    double Seconds,
    long RssBytes,
    int Descriptors,
    long HeapBytes,
    int Threads,
    long Downloads,
    long Failed,
    long SlowReads,
    long Aborted,
    long BytesReceived,
    long ResetsSent,
    int Connections,
    int TimeWait)
{
    public decimal LossPercent { get; init; }
    public string Rate { get; init; } = "unlimited";
}
