namespace UserTcp.Fast.Tests.Runtime;

/// <summary>Tests that run alone, after the parallel ones: they keep every core busy, or hold threads the others
/// need, for seconds.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StressCollection
{
    public const string Name = "stress";
}
