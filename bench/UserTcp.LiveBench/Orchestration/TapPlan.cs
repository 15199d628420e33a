namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// What the TAP comparison measures: one file, offloads off and on (the veths' offloads; the TAP has none towards its
/// reader either way), <see cref="Rounds"/> rounds of one download per client each. <see cref="Full"/> writes
/// perf-results; <see cref="Quick"/> proves in seconds that the harness and the three clients work.
/// </summary>
internal sealed record TapPlan
{
    public const int FullRounds = 5;
    public const int QuickRounds = 2;

    public required string Size { get; init; }
    public required int Rounds { get; init; }
    public bool[] Offloads { get; init; } = [false, true];
    public bool IsQuick { get; init; }

    public static TapPlan Full(int rounds) => new() { Size = "1G", Rounds = rounds };

    public static TapPlan Quick(int rounds) => new() { Size = "10M", Rounds = rounds, IsQuick = true };
}
