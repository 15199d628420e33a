namespace UserTcp.LiveBench.Results;

/// <summary>What the soak's stack process reports at the end: its samples and the first failures, verbatim.</summary>
internal sealed record SoakRun(IReadOnlyList<SoakSample> Samples, IReadOnlyList<string> Failures, IReadOnlyList<string> FileSizes);
