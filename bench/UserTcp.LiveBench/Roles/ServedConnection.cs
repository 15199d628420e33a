namespace UserTcp.LiveBench.Roles;

/// <summary>What the burst server reports for one connection, in one line, when it is done with it.</summary>
internal sealed record ServedConnection
{
    public string ClientAddress { get; init; } = "";
    public int ClientPort { get; init; }
    public int Mss { get; init; }
    public string CongestionControl { get; init; } = "";
    public List<BurstRound> Rounds { get; init; } = [];
    public string? Error { get; init; }
}
