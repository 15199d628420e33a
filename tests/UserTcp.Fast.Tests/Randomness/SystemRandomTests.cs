using UserTcp.Fast.Randomness;

namespace UserTcp.Fast.Tests.Randomness;

/// <summary>The kernel's generator through getrandom(2): every byte of a buffer longer than one call may return is filled,
/// and bounded draws stay in range, reach both ends and refuse an empty range.</summary>
public sealed class SystemRandomTests
{
    [Fact]
    public void Fills_a_buffer_longer_than_one_call_returns()
    {
        // getrandom(2) may return short above 256 bytes: the last 4 KiB must be filled too, not left zero.
        byte[] first = new byte[64 << 10], second = new byte[64 << 10];
        SystemRandom.Fill(first);
        SystemRandom.Fill(second);
        Assert.NotEqual(first, second);
        Assert.True(first.AsSpan(first.Length - 4096).IndexOfAnyExcept((byte)0) >= 0, "the tail was left unfilled");
        Assert.Equal(256, first.Distinct().Count());
    }

    [Fact]
    public void Bounded_draws_cover_the_range_and_nothing_outside()
    {
        var seen = new HashSet<int>();
        for (int i = 0; i < 2_000; i++)
        {
            int draw = SystemRandom.NextInt32(-3, 5);
            Assert.InRange(draw, -3, 4);
            seen.Add(draw);
        }
        Assert.Equal(8, seen.Count);
        Assert.Equal(int.MaxValue - 1, SystemRandom.NextInt32(int.MaxValue - 1, int.MaxValue));
        Assert.InRange(SystemRandom.NextInt32(int.MinValue, int.MaxValue), int.MinValue, int.MaxValue - 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => SystemRandom.NextInt32(5, 5));
    }
}
