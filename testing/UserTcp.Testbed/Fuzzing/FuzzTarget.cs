namespace UserTcp.Testbed.Fuzzing;

/// <summary>A named harness: what it feeds (<see cref="Run"/>) and the seed corpus it starts from.</summary>
internal sealed record FuzzTarget(string Name, string Description, FuzzInput Run, Func<IEnumerable<byte[]>> Seeds);
