namespace UserTcp.LiveBench.Roles;

/// <summary>The event server's report of one connection: who it was, which event, and the probes it sent (a hole fill sends two).</summary>
internal sealed record ServedEvent
{
    public string ClientAddress { get; init; } = "";
    public int ClientPort { get; init; }
    public EventKind Kind { get; init; }
    public List<EventProbe> Probes { get; init; } = [];
    public string? Error { get; init; }
}
