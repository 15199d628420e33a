namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// What the serve benchmark measures (issue 12): wrk's requests per second and latency for every size and connection
/// count, <see cref="Rounds"/> rounds with the servers' order rotating; <see cref="BulkPairs"/> rounds of
/// <see cref="BulkSize"/> to curl per offload setting; the accept rate; the memory of idle connections at each of
/// <see cref="IdleCounts"/>; and a SYN flood of <see cref="FloodSyns"/> at the stack. <see cref="Full"/> writes
/// perf-results; <see cref="Quick"/> proves in a minute or two that the harness works.
/// </summary>
internal sealed record ServePlan
{
    public required string[] Sizes { get; init; }
    public required int[] Connections { get; init; }
    public required int Rounds { get; init; }
    /// <summary>Seconds of each wrk run.</summary>
    public required int Seconds { get; init; }
    public required string BulkSize { get; init; }
    public required int BulkPairs { get; init; }
    public required int[] IdleCounts { get; init; }
    public required int FloodSyns { get; init; }
    /// <summary>hping3's interval between SYNs (<c>-i</c>): u10 asks for 100,000 a second; hping3 reaches what it can.</summary>
    public string FloodInterval { get; init; } = "u10";
    /// <summary>How long after the flood the harness waits for a request to succeed again (the recovery figure).</summary>
    public TimeSpan RecoveryLimit { get; init; } = TimeSpan.FromSeconds(180);
    public bool IsQuick { get; init; }

    /// <summary>The lab's files: every size and the bulk file.</summary>
    public string Files => string.Join(',', Sizes.Append(BulkSize));

    public static ServePlan Full(int rounds) => new()
    {
        Sizes = ["1K", "64K"], Connections = [1, 64, 1000], Rounds = rounds, Seconds = 5, BulkSize = "1G", BulkPairs = rounds,
        IdleCounts = [1000, 10_000], FloodSyns = 100_000,
    };

    public static ServePlan Quick(int rounds) => new()
    {
        Sizes = ["1K", "64K"], Connections = [1, 64], Rounds = rounds, Seconds = 1, BulkSize = "16M", BulkPairs = rounds,
        // 5,000 SYNs at most 10,000 a second: at least half a second of flood, so some legitimate requests fall in it.
        IdleCounts = [100], FloodSyns = 5000, FloodInterval = "u100", RecoveryLimit = TimeSpan.FromSeconds(5), IsQuick = true,
    };
}
