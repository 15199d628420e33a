namespace UserTcp.LiveBench.Results;

/// <summary>A change of the soak lab's link: from <see cref="Seconds"/> after the start, this loss (both ways) and rate.</summary>
internal sealed record SoakCondition(double Seconds, decimal LossPercent, string Rate);
