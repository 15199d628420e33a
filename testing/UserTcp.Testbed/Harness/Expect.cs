namespace UserTcp.Testbed.Harness;

/// <summary>The few checks the testbed makes itself; a failure is a <see cref="TestbedException"/> with the reason.</summary>
internal static class Expect
{
    public static void True(bool condition, string reason)
    {
        if (!condition) throw new TestbedException(reason);
    }

    public static void Equal<T>(T expected, T actual, string? what = null)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
            throw new TestbedException($"{what ?? "value"}: expected {expected}, got {actual}");
    }
}
