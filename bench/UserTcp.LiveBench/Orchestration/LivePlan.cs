namespace UserTcp.LiveBench.Orchestration;

/// <summary>What one harness run measures and how often; <see cref="Full"/> writes the report, <see cref="Quick"/> proves the harness works in CI.</summary>
internal sealed record LivePlan
{
    /// <summary>Files the lab's nginx serves.</summary>
    public required string Files { get; init; }
    /// <summary>Downloaded by every stack process before it says ready, so the measured code is already jitted (tier 1, PGO).</summary>
    public required string WarmupPath { get; init; }
    /// <summary>The measured download, and the one recorded for the replay.</summary>
    public required string DownloadPath { get; init; }
    public required bool[] DownloadOffloads { get; init; }
    /// <summary>Replay rates in frames per second; null is tcpreplay --topspeed.</summary>
    public required int?[] ReplayRates { get; init; }
    /// <summary>A fixed-rate replay sends at most this long (a prefix of the capture), so slow rates do not take minutes.</summary>
    public required TimeSpan FixedRateDuration { get; init; }
    public required int[] SendPayloads { get; init; }
    public required long SendFrames { get; init; }
    public required long SendWarmupFrames { get; init; }
    /// <summary>Fewer frames under strace, which stops the sender at every write.</summary>
    public required long TracedSendFrames { get; init; }
    /// <summary>Timed runs per case (a fresh process each); every case also gets one more run under strace.</summary>
    public required int Runs { get; init; }
    public bool IsQuick { get; init; }

    public static LivePlan Full(int runs) => new()
    {
        Files = "16M,256M",
        WarmupPath = "/16M",
        DownloadPath = "/256M",
        DownloadOffloads = [true, false],
        ReplayRates = [null, 100_000, 50_000, 10_000],
        FixedRateDuration = TimeSpan.FromSeconds(2),
        SendPayloads = [18, 1472],
        SendFrames = 300_000,
        SendWarmupFrames = 50_000,
        TracedSendFrames = 50_000,
        Runs = runs,
    };

    public static LivePlan Quick() => new()
    {
        Files = "1M,4M",
        WarmupPath = "/1M",
        DownloadPath = "/4M",
        DownloadOffloads = [true, false],
        ReplayRates = [null],
        FixedRateDuration = TimeSpan.FromSeconds(1),
        SendPayloads = [1472],
        SendFrames = 20_000,
        SendWarmupFrames = 5_000,
        TracedSendFrames = 5_000,
        Runs = 1,
        IsQuick = true,
    };
}
