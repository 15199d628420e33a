namespace UserTcp.Fast.Tests.Runtime;

/// <summary>Tests that run alone, after the parallel ones: they keep every core busy, hold threads the others
/// need, for seconds, or force garbage collections.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StressCollection
{
    public const string Name = "stress";
}
