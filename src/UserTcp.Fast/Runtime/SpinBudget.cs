using UserTcp.Fast.Time;

namespace UserTcp.Fast.Runtime;

/// <summary>
/// How long the adaptive poll loop keeps polling after the last frame before it sleeps, learned from the gaps between
/// arrivals. Sans-IO: it takes the arrival times of each received batch and never reads a clock.
/// </summary>
/// <remarks>
/// The gap that counts is the idle time on the wire between batches: from the last frame of one batch to the first of
/// the next (frames of one batch arrived while the loop was busy: nothing to wait for). Of the last <see cref="Window"/>
/// gaps, the loop spins only if all but <see cref="Misses"/> were within <see cref="Cap"/>: then the next frame most
/// likely comes within the budget, which is twice that quantile gap (at least <see cref="Floor"/>), never above the cap.
/// Otherwise (sparse traffic, the end of a burst) the budget is zero and the loop sleeps at once: spinning would mostly
/// be wasted.
/// </remarks>
internal sealed class SpinBudget
{
    public const int Window = 16;
    public const int Misses = 2;
    public static readonly TimeSpan Floor = TimeSpan.FromMicroseconds(5);

    private readonly long[] _gaps = new long[Window]; // nanoseconds; long.MaxValue until measured
    private int _next;
    private readonly long _cap;

    public SpinBudget(TimeSpan cap)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cap, TimeSpan.Zero);
        _cap = cap.Ticks * 100;
        Array.Fill(_gaps, long.MaxValue);
    }

    /// <summary>The longest the loop ever spins after a frame.</summary>
    public TimeSpan Cap => TimeSpan.FromTicks(_cap / 100);
    /// <summary>The current budget: how long after <see cref="LastArrival"/> the loop keeps polling.</summary>
    public TimeSpan Budget { get; private set; }
    /// <summary>Arrival of the last frame seen; <see cref="Instant.Never"/> before the first.</summary>
    public Instant LastArrival { get; private set; } = Instant.Never;
    /// <summary>Until when to poll without sleeping: <see cref="LastArrival"/> plus <see cref="Budget"/>.</summary>
    public Instant SpinUntil => LastArrival.IsNever ? Instant.Zero : LastArrival + Budget;

    /// <summary>A batch arrived: its first and last frames' arrival times.</summary>
    public void OnBatch(Instant firstArrival, Instant lastArrival)
    {
        if (!LastArrival.IsNever)
        {
            _gaps[_next] = Math.Max(0, firstArrival.Nanoseconds - LastArrival.Nanoseconds);
            _next = (_next + 1) % Window;
        }
        if (LastArrival.IsNever || lastArrival > LastArrival) LastArrival = lastArrival;
        Budget = Learn();
    }

    private TimeSpan Learn()
    {
        Span<long> sorted = stackalloc long[Window];
        _gaps.CopyTo(sorted);
        sorted.Sort();
        long quantile = sorted[Window - 1 - Misses];
        if (quantile > _cap) return TimeSpan.Zero;
        long floor = Floor.Ticks * 100;
        long budget = Math.Min(_cap, Math.Max(floor, 2 * quantile));
        return TimeSpan.FromTicks(budget / 100);
    }
}
