using UserTcp.LiveBench.Measurement;

namespace UserTcp.LiveBench.Results;

/// <summary>
/// One download of the TAP comparison by one client process: what the process cost (<see cref="ProcessUsage"/>), the
/// transfer time it reported, the server namespace's counters over the run and, for the stack, its <c>--stats</c>
/// figures. A row of perf-results/data/tap.csv.
/// </summary>
internal sealed record TapRun
{
    public required TapClient Client { get; init; }
    public required bool Offload { get; init; }
    public required string Size { get; init; }
    public required long Bytes { get; init; }
    /// <summary>1-based round: each round runs every client once, in an order rotated from round to round.</summary>
    public required int Round { get; init; }
    /// <summary>1, 2 or 3: this client's place in its round.</summary>
    public required int Order { get; init; }
    /// <summary>From connect to the last body byte, as the client reports it: curl's time_total, usertcp get's summary, lwip-get's seconds.</summary>
    public required double TransferSeconds { get; init; }
    public required double WallSeconds { get; init; }
    public required double UserSeconds { get; init; }
    public required double SystemSeconds { get; init; }
    public required long MaxResidentKib { get; init; }
    /// <summary>Segments the server received (TcpInSegs): the client's ACKs, plus its SYN, request and FIN.</summary>
    public required long ServerInSegments { get; init; }
    public required long ServerRetransmissions { get; init; }
    public required long ServerResets { get; init; }
    public StackFigures? Stack { get; init; }

    public double CpuSeconds => UserSeconds + SystemSeconds;
    public double Gbps => Bytes * 8 / TransferSeconds / 1e9;

    public static string Name(TapClient client) => client switch
    {
        TapClient.Stack => "stack",
        TapClient.Lwip => "lwip",
        _ => "kernel",
    };
}
