using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// What the kernel/stack comparison measures: every size with offloads off and on, <see cref="Pairs"/> alternating
/// pairs each into each sink of <see cref="Sinks"/> (both clients of a pair into the same one) in each lab of
/// <see cref="Topologies"/>. <see cref="Full"/> writes perf-results/compare.md, <see cref="Routed"/> perf-results/routed.md (the
/// flat and the routed lab side by side); <see cref="Quick"/> and <see cref="RoutedQuick"/> prove in seconds that the harness works.
/// </summary>
internal sealed record ComparePlan
{
    /// <summary>
    /// The first size, fetched like the others: its cost is a client's fixed cost (starting the process, connecting),
    /// subtracted from the larger sizes' CPU time to give the CPU per GiB of the transfer itself.
    /// </summary>
    public const string ReferenceSize = "64K";
    public const int FullPairs = 5;
    /// <summary>Pairs per row of the routed comparison: its verdict is a ratio of two medians of ratios, each of four noisy
    /// downloads, so it needs more pairs than a single ratio to come out the same from run to run (5 pairs moved rows by
    /// up to 50 % between runs).</summary>
    public const int RoutedFullPairs = 15;
    public const int QuickPairs = 2;
    /// <summary>The sink of the summary and the targets: the figures of the network stacks, not of a file system.</summary>
    public const BodySink HeadlineSink = BodySink.DevNull;

    /// <summary>Lab file names, <see cref="ReferenceSize"/> first.</summary>
    public required string[] Sizes { get; init; }
    public required bool[] Offloads { get; init; }
    /// <summary><see cref="HeadlineSink"/> first.</summary>
    public BodySink[] Sinks { get; init; } = [HeadlineSink, BodySink.TmpfsFile];
    /// <summary>The labs measured, a lab of its own each, up side by side: every pair runs in each, their order reversed in even pairs.</summary>
    public LabTopology[] Topologies { get; init; } = [LabTopology.Flat];
    /// <summary>Pairs per size, offload setting, sink and topology; the kernel goes first in odd pairs (1, 3, …), the stack in even ones.</summary>
    public required int Pairs { get; init; }
    public bool IsQuick { get; init; }
    /// <summary>Lab file names uploaded (PUT) to the lab's upload sink after the downloads of each offload setting, <see cref="Pairs"/> pairs each.</summary>
    public string[] UploadSizes { get; init; } = [];

    public IEnumerable<string> MeasuredSizes => Sizes.Skip(1);

    public static ComparePlan Full(int pairs) => new() { Sizes = [ReferenceSize, "10M", "100M", "1G"], UploadSizes = ["100M", "1G"], Offloads = [false, true], Pairs = pairs };

    public static ComparePlan Quick(int pairs) => new() { Sizes = [ReferenceSize, "10M"], UploadSizes = ["10M"], Offloads = [false, true], Pairs = pairs, IsQuick = true };

    /// <summary>Issue 13's comparison: the flat lab's download ratios against the routed lab's, /dev/null only, no uploads.</summary>
    public static ComparePlan Routed(int pairs) => new()
    {
        Sizes = [ReferenceSize, "100M", "1G"], Offloads = [false, true], Sinks = [HeadlineSink], Topologies = [LabTopology.Flat, LabTopology.Routed], Pairs = pairs,
    };

    public static ComparePlan RoutedQuick(int pairs) => Routed(pairs) with { Sizes = [ReferenceSize, "10M"], IsQuick = true };
}
