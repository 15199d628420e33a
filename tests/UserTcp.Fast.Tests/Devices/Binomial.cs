namespace UserTcp.Fast.Tests.Devices;

/// <summary>Bounds for counts drawn from a binomial distribution.</summary>
internal static class Binomial
{
    /// <summary>Asserts <paramref name="observed"/> is within five standard deviations of n·p (a seeded test, so never flaky).</summary>
    public static void AssertWithinBounds(long observed, long trials, double probability)
    {
        double mean = trials * probability;
        double tolerance = 5 * Math.Sqrt(trials * probability * (1 - probability));
        Assert.InRange(observed, mean - tolerance, mean + tolerance);
    }
}
