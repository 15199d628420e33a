namespace UserTcp.Fast.Tests.Wire;

internal sealed class SeededCaseException(int seed, Exception inner)
    : Exception($"Failed for seed {seed} (replay with new Random({seed})): {inner.Message}", inner);
