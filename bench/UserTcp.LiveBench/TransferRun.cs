using System.Globalization;
using System.Text.RegularExpressions;

namespace UserTcp.LiveBench;

/// <summary>Who wrote the body: curl, usertcp get, or dd alone (the sink's own cost, no network).</summary>
internal enum ClientSide { Kernel, Stack, Sink }

/// <summary>
/// One download by one client process: what the process cost (<see cref="ProcessUsage"/>), the transfer time it
/// reported, the server namespace's counters over the run and, for the stack, its own <c>--stats</c> figures (null
/// for curl). A row of perf-results/data/compare.csv.
/// </summary>
internal sealed record TransferRun
{
    public const double MiB = 1 << 20;
    public const double GiB = 1 << 30;

    public required bool Offload { get; init; }
    public required string Size { get; init; }
    public required long Bytes { get; init; }
    /// <summary>1-based pair number within the size and offload setting (the run number for the sink).</summary>
    public required int Pair { get; init; }
    /// <summary>1 when this side went first in its pair, 2 when second.</summary>
    public required int Order { get; init; }
    public required ClientSide Side { get; init; }
    /// <summary>The client's own transfer time: curl's time_total, or the seconds <c>usertcp get</c> prints (1 ms resolution), both from connect to the last byte; dd's whole run.</summary>
    public required double TransferSeconds { get; init; }
    /// <summary>The process from start to exit, start-up included.</summary>
    public required double WallSeconds { get; init; }
    public required double UserSeconds { get; init; }
    public required double SystemSeconds { get; init; }
    public required long MaxResidentKib { get; init; }
    /// <summary>Segments the server received in the run (TcpInSegs): the client's ACKs, plus its SYN, request and FIN.</summary>
    public required long ServerInSegments { get; init; }
    public required long ServerRetransmissions { get; init; }
    /// <summary>TcpOutRsts + TcpEstabResets.</summary>
    public required long ServerResets { get; init; }
    public StackFigures? Stack { get; init; }

    public double CpuSeconds => UserSeconds + SystemSeconds;

    public static string Name(ClientSide side) => side switch
    {
        ClientSide.Kernel => "kernel",
        ClientSide.Stack => "stack",
        _ => "tmpfs-write",
    };

    public static ClientSide ParseSide(string name) => name switch
    {
        "kernel" => ClientSide.Kernel,
        "stack" => ClientSide.Stack,
        "tmpfs-write" => ClientSide.Sink,
        _ => throw new BenchException($"unknown side '{name}'"),
    };
    /// <summary>Body throughput; NaN when the transfer was too short for the client's clock (a 64 KiB fetch).</summary>
    public double GbitPerSecond => TransferSeconds > 0 ? Bytes * 8 / TransferSeconds / 1e9 : double.NaN;
    public double ServerInSegmentsPerMiB => ServerInSegments / (Bytes / MiB);
}

/// <summary>What <c>usertcp get --stats</c> printed (StackMetrics.Format): counters since the stack started.</summary>
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
        };
    }

    [GeneratedRegex(@"^  (?<name>\S.*?)\s{2,}(?<value>-?\d+)$", RegexOptions.Multiline)]
    private static partial Regex StatLine();
}
