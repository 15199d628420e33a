using UserTcp.LiveBench.Measurement;

namespace UserTcp.LiveBench.Roles;

/// <summary>What a receiver process reports: its side of the connection and, for the stack, the engine's own ACK delays.</summary>
internal sealed record ReceiverResult
{
    public int LocalPort { get; init; }
    public long BytesReceived { get; init; }
    /// <summary>The stack's arrival-to-ACK delay of every burst segment (<c>TcpStack.AckLatency</c>'s raw samples); empty for the kernel.</summary>
    public long[] InStackNanoseconds { get; init; } = [];
    /// <summary>How many delays the histogram recorded over the bursts (more than <see cref="InStackNanoseconds"/> only if its buffer overflowed).</summary>
    public long InStackCount { get; init; }
    /// <summary>The stack's counters over the bursts (from the end of the warm-up transfer to the FIN), ps_drop among them; null for the kernel.</summary>
    public RunResult? Bursts { get; init; }
    /// <summary>Every poll-loop turn that delivered burst data, in order: the stack's batches.</summary>
    public List<TurnTiming> Turns { get; init; } = [];
}
