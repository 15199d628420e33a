namespace UserTcp.Fast.Tests.Wire;

/// <summary>Runs randomized checks with fixed seeds, so every run sees the same cases and a failure can be replayed.</summary>
internal static class Seeded
{
    /// <summary>Runs <paramref name="check"/> with <c>new Random(seed)</c> for each seed in [<paramref name="firstSeed"/>,
    /// <paramref name="firstSeed"/> + <paramref name="count"/>); a failure is rethrown naming its seed.</summary>
    public static void ForEach(int firstSeed, int count, Action<Random> check)
    {
        for (int seed = firstSeed; seed < firstSeed + count; seed++)
        {
            try
            {
                check(new Random(seed));
            }
            catch (Exception e)
            {
                throw new SeededCaseException(seed, e);
            }
        }
    }
}
