using UserTcp.LiveBench.Roles;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>What the ACK-latency measurement runs; <see cref="Full"/> writes the report, <see cref="Quick"/> proves the harness works in CI.</summary>
internal sealed record AckLatencyPlan
{
    /// <summary>Segments per burst.</summary>
    public required int[] Bursts { get; init; }
    /// <summary>Each pass runs every burst size once for every receiver, receivers alternating, each on a fresh connection.</summary>
    public required int Passes { get; init; }
    public required int RoundsPerConnection { get; init; }
    /// <summary>
    /// The pause before each burst: far above the 40 ms delayed-ACK timers of both receivers, so each burst meets a
    /// receiver with nothing pending, and above the observer's burst-splitting gap (half of it) by a wide margin.
    /// </summary>
    public required TimeSpan Idle { get; init; }
    /// <summary>Sent on every connection before the first burst, so the kernel receiver's window has grown past the largest burst.</summary>
    public required long WarmupBytes { get; init; }
    /// <summary>Files of the lab's nginx; the stack receivers download <see cref="JitWarmupPath"/> to warm the JIT up before they say ready.</summary>
    public required string Files { get; init; }
    public required string JitWarmupPath { get; init; }
    public bool IsQuick { get; init; }

    public int Rounds => Passes * RoundsPerConnection;

    /// <summary>The server route's initial congestion window: room for the largest burst and more, so cwnd never holds a burst back.</summary>
    public int InitialWindow => Bursts.Max() + 64;

    public BurstRequest Request(int segments) => new(segments, RoundsPerConnection, Idle, WarmupBytes);

    public static AckLatencyPlan Full() => new()
    {
        Bursts = [16, 64, 256],
        Passes = 4,
        RoundsPerConnection = 5,
        Idle = TimeSpan.FromMilliseconds(250),
        WarmupBytes = 2 << 20,
        Files = "1M",
        JitWarmupPath = "/1M",
    };

    public static AckLatencyPlan Quick() => Full() with { Passes = 1, RoundsPerConnection = 3, IsQuick = true };
}
