namespace UserTcp.LiveBench.Measurement;

/// <summary>What a measured client process cost, as its parent saw it when the process ended.</summary>
internal sealed record ProcessUsage(int ExitCode, double WallSeconds, double UserSeconds, double SystemSeconds, long MaxResidentKib);
