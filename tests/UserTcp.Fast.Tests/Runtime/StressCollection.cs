namespace UserTcp.Fast.Tests.Runtime;

/// <summary>Stress tests that run alone, after the parallel ones: they keep every core busy for seconds.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StressCollection
{
    public const string Name = "stress";
}
