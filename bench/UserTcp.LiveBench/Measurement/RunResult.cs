using System.Text.Json.Serialization;

namespace UserTcp.LiveBench.Measurement;

/// <summary>
/// What one measured stack process reports to the orchestrator (one JSON line): counter deltas over the measured
/// window, its CPU time, and the kernel's drop count. Frames are counted at the device, before any protocol work.
/// </summary>
internal sealed record RunResult
{
    public long FramesReceived { get; init; }
    public long BytesReceived { get; init; }
    public long FramesSent { get; init; }
    public long BytesSent { get; init; }
    /// <summary>pcap_dispatch calls: the upper bound of receive system calls (an empty ring costs one poll(2)).</summary>
    public long ReceiveCalls { get; init; }
    /// <summary>write(2) calls, retries included.</summary>
    public long SendCalls { get; init; }
    public long SendsDeferred { get; init; }
    public long SendsDropped { get; init; }
    /// <summary>pcap's ps_drop since the device was opened: frames the kernel could not put in the ring.</summary>
    public long KernelDrops { get; init; }
    /// <summary>Frames the interface layer dropped (any reason) in the window.</summary>
    public long InterfaceDrops { get; init; }
    public double WallSeconds { get; init; }
    public double ProcessUserSeconds { get; init; }
    public double ProcessSystemSeconds { get; init; }
    public double LoopThreadUserSeconds { get; init; }
    public double LoopThreadSystemSeconds { get; init; }
    /// <summary>CPU of the process's other threads by thread name, at clock-tick resolution (see <see cref="OtherThreadsCpu"/>).</summary>
    public Dictionary<string, double> OtherThreadsCpuSeconds { get; init; } = new();
    /// <summary>Application bytes: the HTTP response read, the replayed body delivered in order, or the UDP payload sent.</summary>
    public long PayloadBytes { get; init; }
    public long PureAcksSent { get; init; }
    public long OutOfOrderSegments { get; init; }
    public long DuplicateSegments { get; init; }
    public long UnacceptableSegments { get; init; }
    public long Retransmissions { get; init; }
    /// <summary>ACKs the delayed-ACK timer sent (TcpConnectionStats.DelayedAckTimeouts): what the zero-expiry targets count.</summary>
    public long DelayedAckTimeouts { get; init; }
    public long ChallengeAcksSent { get; init; }

    [JsonIgnore] public double ProcessCpuSeconds => ProcessUserSeconds + ProcessSystemSeconds;
    [JsonIgnore] public double LoopThreadCpuSeconds => LoopThreadUserSeconds + LoopThreadSystemSeconds;
}
