namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// What the kernel/stack comparison measures: every size with offloads off and on, <see cref="Pairs"/> alternating
/// pairs each. <see cref="Full"/> writes perf-results; <see cref="Quick"/> proves in seconds that the harness works.
/// </summary>
internal sealed record ComparePlan
{
    /// <summary>
    /// The first size, fetched like the others: its cost is a client's fixed cost (starting the process, connecting),
    /// subtracted from the larger sizes' CPU time to give the CPU per GiB of the transfer itself.
    /// </summary>
    public const string ReferenceSize = "64K";
    public const int FullPairs = 5;
    public const int QuickPairs = 2;

    /// <summary>Lab file names, <see cref="ReferenceSize"/> first.</summary>
    public required string[] Sizes { get; init; }
    public required bool[] Offloads { get; init; }
    /// <summary>Pairs per size and offload setting; the kernel goes first in odd pairs (1, 3, …), the stack in even ones.</summary>
    public required int Pairs { get; init; }
    public bool IsQuick { get; init; }

    public IEnumerable<string> MeasuredSizes => Sizes.Skip(1);

    public static ComparePlan Full(int pairs) => new() { Sizes = [ReferenceSize, "10M", "100M", "1G"], Offloads = [false, true], Pairs = pairs };

    public static ComparePlan Quick(int pairs) => new() { Sizes = [ReferenceSize, "10M"], Offloads = [false, true], Pairs = pairs, IsQuick = true };
}
