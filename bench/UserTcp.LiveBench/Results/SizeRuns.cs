using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;

namespace UserTcp.LiveBench.Results;

/// <summary>
/// The runs of one size, offload setting and body sink, kernel and stack paired as they ran, and the figures that
/// compare.md and the plots show. CPU per GiB comes two ways: the whole process over the body (what a user pays for that
/// download), and net of the client's fixed cost (the median CPU time of its <see cref="ComparePlan.ReferenceSize"/>
/// fetches with the same offloads and sink: process start, runtime and JIT, connection) over the bytes beyond it: the
/// transfer's own cost. dd's runs (writing as many bytes into tmpfs alone) stand beside the tmpfs file pairs, unpaired.
/// </summary>
internal sealed record SizeRuns(TransferDirection Direction, bool Offload, BodySink Sink, string Size, long Bytes, IReadOnlyList<(TransferRun Kernel, TransferRun Stack)> Pairs,
                               IReadOnlyList<TransferRun> SinkAlone, SizeRuns? Reference)
{
    public IEnumerable<TransferRun> Runs(ClientSide side) => side switch
    {
        ClientSide.Kernel => Pairs.Select(p => p.Kernel),
        ClientSide.Stack => Pairs.Select(p => p.Stack),
        _ => SinkAlone,
    };

    public IEnumerable<StackFigures> StackFigures => Pairs.Select(p => p.Stack.Stack ?? throw new BenchException("a stack run without its --stats figures"));

    public Spread Of(ClientSide side, Func<TransferRun, double> figure) => Spread.Of(Runs(side).Select(figure));

    public Spread Throughput(ClientSide side) => Of(side, r => r.GbitPerSecond);

    /// <summary>Stack over kernel, pair by pair.</summary>
    public Spread Ratio(Func<TransferRun, double> figure) => Spread.Of(Pairs.Select(p => figure(p.Stack) / figure(p.Kernel)));

    public Spread CpuPerGiB(ClientSide side) => Of(side, r => r.CpuSeconds / (r.Bytes / TransferRun.GiB));

    /// <summary>Median CPU seconds of this side's reference fetches: its fixed cost per process (none for dd, which has no reference runs).</summary>
    public double FixedCpuSeconds(ClientSide side) => Reference is { } reference && side != ClientSide.Sink ? reference.Of(side, r => r.CpuSeconds).Median : 0;

    /// <summary>Median CPU seconds of the stack's poll thread in its reference fetches (ARP, connect, the small body).</summary>
    public double FixedPollCpuSeconds => Reference is { } reference ? Spread.Of(reference.StackFigures.Select(s => s.PollCpuSeconds)).Median : 0;

    /// <summary>CPU seconds per GiB of the transfer itself (see the type's summary); the whole process's when there is no reference.</summary>
    public double NetCpuPerGiB(TransferRun run) =>
        (run.CpuSeconds - FixedCpuSeconds(run.Side)) / ((run.Bytes - (run.Side == ClientSide.Sink ? 0 : Reference?.Bytes ?? 0)) / TransferRun.GiB);

    public Spread NetCpuPerGiB(ClientSide side) => Of(side, NetCpuPerGiB);

    /// <summary>Cores the client kept busy during the transfer, its fixed cost left out.</summary>
    public Spread BusyCores(ClientSide side) => Of(side, r => (r.CpuSeconds - FixedCpuSeconds(side)) / r.TransferSeconds);

    /// <summary>Groups runs by direction, offload setting, sink and size (sizes in the order they ran) and pairs them by pair number.</summary>
    public static List<SizeRuns> Group(IEnumerable<TransferRun> runs)
    {
        var groups = new List<SizeRuns>();
        foreach (var group in runs.GroupBy(r => (r.Direction, r.Offload, r.Sink, r.Size)))
        {
            var pairs = group.Where(r => r.Side != ClientSide.Sink).GroupBy(r => r.Pair).Select(pair =>
                (Kernel: pair.Single(r => r.Side == ClientSide.Kernel), Stack: pair.Single(r => r.Side == ClientSide.Stack))).ToList();
            var sinkAlone = group.Where(r => r.Side == ClientSide.Sink).ToList();
            var reference = groups.FirstOrDefault(g => g.Direction == group.Key.Direction && g.Offload == group.Key.Offload && g.Sink == group.Key.Sink && g.Size == ComparePlan.ReferenceSize);
            groups.Add(new SizeRuns(group.Key.Direction, group.Key.Offload, group.Key.Sink, group.Key.Size, group.First().Bytes, pairs, sinkAlone, reference));
        }
        return groups;
    }
}
