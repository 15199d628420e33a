using UserTcp.LiveBench.Measurement;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Results;

/// <summary>
/// One download by one client process: what the process cost (<see cref="ProcessUsage"/>), the transfer time it
/// reported, the server namespace's counters over the run and, for the stack, its own <c>--stats</c> figures (null
/// for curl). A row of perf-results/data/compare.csv.
/// </summary>
internal sealed record TransferRun
{
    public const double MiB = 1 << 20;
    public const double GiB = 1 << 30;

    /// <summary>Download (the default) or upload; an upload's <see cref="Sink"/> is <see cref="BodySink.DevNull"/>: the server counted the body and dropped it.</summary>
    public TransferDirection Direction { get; init; }
    /// <summary>The lab the run went through: flat (the default) or routed (perf-results/routed.md).</summary>
    public LabTopology Topology { get; init; }
    public required bool Offload { get; init; }
    /// <summary>Where the body went (both clients of a pair alike; dd's runs write into tmpfs).</summary>
    public required BodySink Sink { get; init; }
    public required string Size { get; init; }
    public required long Bytes { get; init; }
    /// <summary>1-based pair number within the size, offload setting and sink (the run number for dd).</summary>
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
    /// <summary>Segments the server sent in the run (TcpOutSegs, which counts a GSO packet as the segments it is cut into): a download's body over it is the payload per segment the path allowed.</summary>
    public long ServerOutSegments { get; init; }
    public required long ServerRetransmissions { get; init; }
    /// <summary>TcpOutRsts + TcpEstabResets.</summary>
    public required long ServerResets { get; init; }
    /// <summary>Segments the client retransmitted (an upload's sender): the client namespace's TcpRetransSegs for curl, the stack's own count for usertcp.</summary>
    public long ClientRetransmissions { get; init; }
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

    public static string Name(TransferDirection direction) => direction == TransferDirection.Download ? "download" : "upload";

    public static TransferDirection ParseDirection(string name) => name switch
    {
        "download" => TransferDirection.Download,
        "upload" => TransferDirection.Upload,
        _ => throw new BenchException($"unknown direction '{name}'"),
    };

    public static string Name(BodySink sink) => sink == BodySink.DevNull ? "dev-null" : "tmpfs-file";

    public static BodySink ParseSink(string name) => name switch
    {
        "dev-null" => BodySink.DevNull,
        "tmpfs-file" => BodySink.TmpfsFile,
        _ => throw new BenchException($"unknown sink '{name}'"),
    };

    /// <summary>Body throughput; NaN when the transfer was too short for the client's clock (a 64 KiB fetch).</summary>
    public double GbitPerSecond => TransferSeconds > 0 ? Bytes * 8 / TransferSeconds / 1e9 : double.NaN;
    public double ServerInSegmentsPerMiB => ServerInSegments / (Bytes / MiB);

    /// <summary>Body bytes per segment the server sent (the headers, handshake and FIN included in the count, so slightly below the MSS's payload).</summary>
    public double ServerBytesPerSegment => (double)Bytes / ServerOutSegments;
}
