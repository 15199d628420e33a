using UserTcp.Fast.Runtime;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tests.Runtime;

/// <summary>The adaptive poll loop's spin budget, learned from synthetic arrival times (no clock).</summary>
public sealed class SpinBudgetTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromMicroseconds(100);

    /// <summary>Feeds one-frame batches <paramref name="gapMicroseconds"/> apart, starting at 1 s; returns the last arrival.</summary>
    private static Instant Feed(SpinBudget spin, Instant at, params double[] gapMicroseconds)
    {
        foreach (double gap in gapMicroseconds)
        {
            at += TimeSpan.FromMicroseconds(gap);
            spin.OnBatch(at, at);
        }
        return at;
    }

    private static double[] Repeat(double gap, int count) => Enumerable.Repeat(gap, count).ToArray();

    [Fact]
    public void Before_enough_gaps_are_known_it_does_not_spin()
    {
        var spin = new SpinBudget(Cap);
        Assert.Equal(Instant.Zero, spin.SpinUntil);
        Feed(spin, Instant.FromMilliseconds(1000), Repeat(10, SpinBudget.Window - SpinBudget.Misses));
        Assert.Equal(TimeSpan.Zero, spin.Budget); // the first batch has no gap: one short of the quantile
        Feed(spin, spin.LastArrival, 10);
        Assert.NotEqual(TimeSpan.Zero, spin.Budget);
    }

    [Fact]
    public void Steady_short_gaps_give_twice_the_gap()
    {
        var spin = new SpinBudget(Cap);
        var last = Feed(spin, Instant.FromMilliseconds(1000), Repeat(20, 40));
        Assert.Equal(TimeSpan.FromMicroseconds(40), spin.Budget);
        Assert.Equal(last + TimeSpan.FromMicroseconds(40), spin.SpinUntil);
    }

    [Fact]
    public void The_budget_never_exceeds_the_cap()
    {
        var spin = new SpinBudget(Cap);
        Feed(spin, Instant.FromMilliseconds(1000), Repeat(80, 40));
        Assert.Equal(Cap, spin.Budget);
    }

    [Fact]
    public void Back_to_back_frames_spin_for_the_floor()
    {
        var spin = new SpinBudget(Cap);
        Feed(spin, Instant.FromMilliseconds(1000), Repeat(0, 40));
        Assert.Equal(SpinBudget.Floor, spin.Budget);
    }

    [Fact]
    public void Sparse_traffic_does_not_spin()
    {
        var spin = new SpinBudget(Cap);
        Feed(spin, Instant.FromMilliseconds(1000), Repeat(250_000, 40)); // a request every 250 ms
        Assert.Equal(TimeSpan.Zero, spin.Budget);
        Assert.Equal(spin.LastArrival, spin.SpinUntil);
    }

    [Fact]
    public void A_few_idle_gaps_in_the_window_are_tolerated_one_more_stops_the_spin()
    {
        var spin = new SpinBudget(Cap);
        var at = Feed(spin, Instant.FromMilliseconds(1000), Repeat(10, 40));
        at = Feed(spin, at, Repeat(250_000, SpinBudget.Misses)); // bursts after idle pauses
        Assert.Equal(TimeSpan.FromMicroseconds(20), spin.Budget);
        Feed(spin, at, 250_000);
        Assert.Equal(TimeSpan.Zero, spin.Budget);
    }

    [Fact]
    public void Traffic_resuming_after_idle_is_learned_again_within_a_window()
    {
        var spin = new SpinBudget(Cap);
        var at = Feed(spin, Instant.FromMilliseconds(1000), Repeat(250_000, 40));
        Assert.Equal(TimeSpan.Zero, spin.Budget);
        Feed(spin, at, Repeat(30, SpinBudget.Window - SpinBudget.Misses));
        Assert.Equal(TimeSpan.FromMicroseconds(60), spin.Budget);
    }

    [Fact]
    public void The_gap_runs_from_the_last_frame_of_a_batch_to_the_first_of_the_next()
    {
        var spin = new SpinBudget(Cap);
        var at = Instant.FromMilliseconds(1000);
        for (int i = 0; i < 40; i++)
        {
            // Batches spanning 500 µs (frames arriving while the loop worked), 10 µs of silence between them.
            var first = at + TimeSpan.FromMicroseconds(10);
            at = first + TimeSpan.FromMicroseconds(500);
            spin.OnBatch(first, at);
        }
        Assert.Equal(TimeSpan.FromMicroseconds(20), spin.Budget);
        Assert.Equal(at + TimeSpan.FromMicroseconds(20), spin.SpinUntil);
    }
}
