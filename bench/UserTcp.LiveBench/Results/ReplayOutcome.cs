namespace UserTcp.LiveBench.Results;

/// <summary>What tcpreplay reported for one replay.</summary>
internal sealed record ReplayOutcome(long Frames, double Seconds, double FramesPerSecond, long Failed);
