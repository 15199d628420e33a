namespace UserTcp.LiveBench.Results;

/// <summary>
/// One process's memory measurement with <see cref="Connections"/> connections: the figures at baseline (warmed up, the
/// stack's buffer pool filled), with every connection idle, while each receives at <see cref="RateBytesPerSecond"/>, and
/// with every connection in TIME-WAIT; <see cref="ActiveBytesReceived"/> over <see cref="ActiveSeconds"/> is the rate
/// the connections actually received at. <see cref="Reset"/> connections the server did not close (no progress for 30 s)
/// were reset instead of reaching TIME-WAIT; <see cref="NotClosed"/> is the stack's view of the first ten.
/// </summary>
internal sealed record MemoryRun(
    int Connections,
    int RateBytesPerSecond,
    double ActiveSeconds,
    long ActiveBytesReceived,
    int ReceiveBufferSize,
    int SendBufferSize,
    int Reset,
    string? NotClosed,
    IReadOnlyList<MemoryFigures> Figures)
{
    public MemoryFigures this[string phase] => Figures.Single(f => f.Phase == phase);

    /// <summary>Bytes per connection (or entry) of <paramref name="phase"/> above the baseline.</summary>
    public (double Heap, double Rss) PerConnection(string phase)
    {
        var (heap, rss) = AboveBaseline(phase);
        return (heap / (double)Count(phase), rss / (double)Count(phase));
    }

    /// <summary>Connections, or TIME-WAIT entries added, in <paramref name="phase"/>.</summary>
    public int Count(string phase) =>
        phase == MemoryPhases.TimeWait ? this[phase].TimeWait - this[MemoryPhases.Baseline].TimeWait : Connections;

    /// <summary>Heap and RSS of <paramref name="phase"/> minus the baseline's.</summary>
    public (long Heap, long Rss) AboveBaseline(string phase)
    {
        var at = this[phase];
        var baseline = this[MemoryPhases.Baseline];
        return (at.HeapBytes - baseline.HeapBytes, at.RssBytes - baseline.RssBytes);
    }
}
