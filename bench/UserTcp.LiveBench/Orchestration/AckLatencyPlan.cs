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

    /// <summary>The sub-MSS bursts: the server's listeners with these TCP_MAXSEG values (<see cref="BurstRequest.ClampedMaxSegments"/>).</summary>
    public required int[] ClampedMaxSegments { get; init; }
    /// <summary>Segments per sub-MSS burst.</summary>
    public required int[] ClampedBursts { get; init; }
    /// <summary>Passes over the sub-MSS cases (every receiver but the naive one, which shows nothing new there).</summary>
    public required int ClampedPasses { get; init; }
    /// <summary>Passes over the single events; each pass runs every event this many times, for each event receiver in turn.</summary>
    public required int EventPasses { get; init; }
    public required int EventRepeats { get; init; }

    public int Rounds => Passes * RoundsPerConnection;

    /// <summary>The server route's initial congestion window: room for the largest burst and more, so cwnd never holds a burst back.</summary>
    public int InitialWindow => Bursts.Max() + 64;

    public BurstRequest Request(int segments, int maxSegment = 0) => new(segments, RoundsPerConnection, Idle, WarmupBytes, maxSegment);

    /// <summary>The events one receiver process provokes in one pass: every kind <see cref="EventRepeats"/> times, kinds interleaved.</summary>
    public IEnumerable<EventKind> EventsOfPass => Enumerable.Range(0, EventRepeats).SelectMany(_ => Enum.GetValues<EventKind>());

    public static AckLatencyPlan Full() => new()
    {
        Bursts = [16, 64, 256],
        Passes = 4,
        RoundsPerConnection = 5,
        Idle = TimeSpan.FromMilliseconds(250),
        WarmupBytes = 2 << 20,
        Files = "1M",
        JitWarmupPath = "/1M",
        ClampedMaxSegments = BurstRequest.ClampedMaxSegments,
        ClampedBursts = [16, 64, 256],
        ClampedPasses = 2,
        EventPasses = 2,
        EventRepeats = 5,
    };

    public static AckLatencyPlan Quick() => Full() with
    {
        Passes = 1, RoundsPerConnection = 3, IsQuick = true, ClampedMaxSegments = [536], ClampedBursts = [64], ClampedPasses = 1, EventPasses = 1, EventRepeats = 2,
    };
}
