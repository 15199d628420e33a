using System.Globalization;
using System.Text.RegularExpressions;

namespace UserTcp.LiveBench.Results;

/// <summary>What <c>usertcp get --stats</c> (or <c>put</c>) printed (StackMetrics.Format): counters since the stack started.</summary>
internal sealed partial record StackFigures
{
    public required long FramesReceived { get; init; }
    public required long AcksSent { get; init; }
    public required long DeviceReceiveCalls { get; init; }
    public required long DeviceSendCalls { get; init; }
    public required long Gen0Collections { get; init; }
    public required long Gen1Collections { get; init; }
    public required long Gen2Collections { get; init; }
    public required long AllocatedBytes { get; init; }
    /// <summary>The poll thread's allocations by the stack's own work (receive, timers, pumps, flush), warm-up included.</summary>
    public required long PollStackBytes { get; init; }
    /// <summary>The poll thread's allocations by queued application commands (connect, stream rings, counter reads).</summary>
    public required long PollCommandBytes { get; init; }
    /// <summary>The poll thread's allocations while waking application threads (the runtime's continuation queueing).</summary>
    public required long PollWakeUpBytes { get; init; }
    /// <summary>Frames in the poll thread's steady-state window (after the warm-up, before the connection's end); null when too few frames.</summary>
    public long? SteadyFrames { get; init; }
    public long? SteadyBytes { get; init; }
    public required double PollCpuSeconds { get; init; }
    /// <summary>ACKs that waited the whole delayed-ACK timer (TcpConnectionStats.DelayedAckTimeouts).</summary>
    public required long DelayedAckTimeouts { get; init; }
    /// <summary>Frames the device sent ("device frames sent"): against <see cref="DeviceSendCalls"/>, the send batching.</summary>
    public required long FramesSent { get; init; }
    public required long Retransmissions { get; init; }

    public double PollStackBytesPerFrame => (double)PollStackBytes / FramesReceived;

    /// <summary>Reads the <c>--stats</c> block ("  name   value" lines) from <c>usertcp get</c>'s standard error.</summary>
    public static StackFigures Parse(string stats)
    {
        var values = new Dictionary<string, long>();
        foreach (Match line in StatLine().Matches(stats))
            values[line.Groups["name"].Value] = long.Parse(line.Groups["value"].Value, CultureInfo.InvariantCulture);
        long Required(string name) => values.TryGetValue(name, out long value) ? value
            : throw new BenchException($"usertcp get --stats printed no '{name}' line:\n{stats}");
        return new StackFigures
        {
            FramesReceived = Required("frames received"),
            AcksSent = Required("tcp pure acks sent"),
            DeviceReceiveCalls = Required("device receive calls"),
            DeviceSendCalls = Required("device send calls"),
            Gen0Collections = Required("gc gen0 collections"),
            Gen1Collections = Required("gc gen1 collections"),
            Gen2Collections = Required("gc gen2 collections"),
            AllocatedBytes = Required("gc bytes allocated (process)"),
            PollStackBytes = Required("poll thread bytes by stack work"),
            PollCommandBytes = Required("poll thread bytes by commands"),
            PollWakeUpBytes = Required("poll thread bytes by wake-ups"),
            SteadyFrames = values.TryGetValue("poll thread steady-state frames", out long frames) ? frames : null,
            SteadyBytes = values.TryGetValue("poll thread steady-state bytes", out long bytes) ? bytes : null,
            PollCpuSeconds = Required("poll thread cpu microseconds") / 1e6,
            DelayedAckTimeouts = Required("tcp delayed-ack timer expiries"),
            FramesSent = Required("device frames sent"),
            Retransmissions = Required("tcp retransmissions"),
        };
    }

    [GeneratedRegex(@"^  (?<name>\S.*?)\s{2,}(?<value>-?\d+)$", RegexOptions.Multiline)]
    private static partial Regex StatLine();
}
