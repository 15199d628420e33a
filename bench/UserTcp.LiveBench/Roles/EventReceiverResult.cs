using UserTcp.LiveBench.Measurement;

namespace UserTcp.LiveBench.Roles;

/// <summary>What an event receiver process reports: the local port of each of its connections, in order, and for the stack its counters over them.</summary>
internal sealed record EventReceiverResult
{
    public List<int> LocalPorts { get; init; } = [];
    /// <summary>The stack's counters over all its event connections (challenge ACKs, duplicates, delayed-ACK timer expiries); null for the kernel.</summary>
    public RunResult? Counters { get; init; }
}
