using System.Globalization;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;
using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Reports;

/// <summary>
/// Writes perf-results/routed.md from the paired runs of the flat and the routed lab: issue 13's verdict (the routed lab's
/// stack/kernel throughput ratio within ±<see cref="Tolerance"/> of the flat lab's, size by size), a table per offload
/// setting with both labs' rows, the path's segment size as the server's counters show it, what limits, and the method.
/// </summary>
internal static class RoutedReport
{
    public const string Data = "data/routed.csv";

    /// <summary>Issue 13: "Routed lab: the same download ratios against curl as the flat lab, within 10%".</summary>
    private const double Tolerance = 0.10;

    /// <summary>Writes the report; returns the verdict of each row, one line each, for the console.</summary>
    public static List<string> Write(string path, ComparePlan plan, IReadOnlyList<TransferRun> runs, MachineInfo machine, string commit,
                                     DateTimeOffset startedAt, TimeSpan elapsed)
    {
        var flat = SizeRuns.Group(runs.Where(r => r.Topology == LabTopology.Flat));
        var routed = SizeRuns.Group(runs.Where(r => r.Topology == LabTopology.Routed));
        var rows = flat.Join(routed, f => (f.Offload, f.Size), r => (r.Offload, r.Size), (f, r) => (Flat: f, Routed: r)).ToList();
        var text = new MarkdownText();
        text.Line($"# The routed lab against the flat lab: the stack's download ratios against curl");
        text.Line();
        ReportSections.Regenerated(text, Command(plan), commit, startedAt, elapsed);
        text.Line();
        text.Line($"Issue 13's target: \"Routed lab: the same download ratios against curl as the flat lab, within {Tolerance:0%}\". The flat lab (client veth on");
        text.Line($"the server's subnet) and the routed lab (client on a LAN, a NAT router, the server behind a {RoutedLab.RemoteMtu}-byte-MTU link) are up side by side.");
        text.Line($"For offloads {string.Join(" then ", plan.Offloads.Select(ReportSections.OnOff))} and each size, {plan.Pairs} pairs of downloads by the kernel (curl) and by the user-space stack");
        text.Line($"(`usertcp get`) ran in each lab, **interleaved**: pair 1 in the flat lab then the routed one, pair 2 the other way round, and so on,");
        text.Line($"the client going first alternating too, so drift over the run touches both labs alike. Both clients put every body in /dev/null.");
        text.Line($"Ratios are stack over kernel **pair by pair**, then the median with the range (min–max) in brackets. **Timings are noisy**: the");
        text.Line($"machine is a shared {machine.Cores}-core VM (load average {machine.LoadAverageBefore} before the run, {machine.LoadAverageAfter} after) on which nginx, the router's");
        text.Line($"forwarding and both clients share those cores. Counts (segments, resets) are exact. In every run both clients reported exactly the file's byte count.");
        text.Line();
        var verdicts = WriteVerdict(text, rows);
        ReportSections.Machine(text, machine);
        foreach (bool offload in plan.Offloads) WriteOffload(text, rows.Where(r => r.Flat.Offload == offload).ToList());
        WritePath(text, rows);
        text.Line($"## What both clients did with the bytes");
        text.Line();
        text.Line(CompareReport.WhatClientsDid(BodySink.DevNull));
        text.Line();
        WriteLimits(text, rows);
        WriteMethod(text, plan);
        ReportFile.Write(path, text.ToString());
        return verdicts;
    }

    public static string Command(ComparePlan plan) =>
        "bench/run-routed.sh" + (plan.IsQuick ? " --quick" : "") + (plan.Pairs != (plan.IsQuick ? ComparePlan.QuickPairs : ComparePlan.RoutedFullPairs) ? $" --runs {plan.Pairs}" : "");

    private static List<string> WriteVerdict(MarkdownText text, List<(SizeRuns Flat, SizeRuns Routed)> rows)
    {
        var verdicts = new List<string>();
        text.Line($"## Verdict: routed ratio / flat ratio, target within ±{Tolerance:0%}");
        text.Line();
        text.Line($"The interval is a bootstrap's: the pairs of each lab drawn again with replacement {BootstrapDraws} times, the quotient of medians");
        text.Line($"taken each time; 90 % of the draws fall inside it. It shows how far this run's noise alone moves the quotient: a miss whose");
        text.Line($"interval reaches into 1 ± {Tolerance:0.00} could be noise, one whose interval lies wholly outside is beyond it.");
        text.Line();
        text.Line($"| offloads | size | flat: stack / kernel | routed: stack / kernel | routed / flat | 90 % interval | verdict |");
        text.Line($"|---|---|--:|--:|--:|--:|---|");
        foreach (var (flat, routed) in rows)
        {
            var flatRatio = flat.Ratio(r => r.GbitPerSecond);
            var routedRatio = routed.Ratio(r => r.GbitPerSecond);
            double quotient = routedRatio.Median / flatRatio.Median;
            var (low, high) = QuotientInterval(PairRatios(flat), PairRatios(routed));
            bool judged = flat.Size != ComparePlan.ReferenceSize;
            bool met = double.IsFinite(quotient) && Math.Abs(quotient - 1) <= Tolerance;
            bool beyondNoise = high < 1 - Tolerance || low > 1 + Tolerance;
            string verdict = !judged
                ? $"not judged: a {flat.Size} fetch is mostly connection set-up, timed to 1 ms by the stack"
                : met ? "met" : beyondNoise ? "**missed**, beyond this run's noise" : "**missed**, within this run's noise";
            text.Line($"| {ReportSections.OnOff(flat.Offload)} | {flat.Size} | {flatRatio.Format("0.00")} | {routedRatio.Format("0.00")} | {quotient:0.00} | {low:0.00}–{high:0.00} | {verdict} |");
            verdicts.Add(string.Create(CultureInfo.InvariantCulture,
                $"offloads {ReportSections.OnOff(flat.Offload)}, {flat.Size}: stack/kernel flat {flatRatio.Median:0.00}, routed {routedRatio.Median:0.00}, routed/flat {quotient:0.00}: {verdict.Replace("**", "", StringComparison.Ordinal)}"));
        }
        text.Line();
        var all = rows.SelectMany(r => r.Flat.Pairs.Concat(r.Routed.Pairs)).SelectMany(p => new[] { p.Kernel, p.Stack }).ToList();
        long resets = all.Sum(r => r.ServerResets);
        text.Line($"Resets (the server's `TcpOutRsts + TcpEstabResets`, which must stay 0): **{resets} in {all.Count} runs** " +
                  $"({all.Count(r => r.Side == ClientSide.Stack)} by the stack, {all.Count(r => r.Side == ClientSide.Kernel)} by curl, both labs){(resets == 0 ? "." : ": **missed**.")}");
        text.Line();
        verdicts.Add($"{resets} resets in {all.Count} runs");
        return verdicts;
    }

    private const int BootstrapDraws = 4000;

    private static double[] PairRatios(SizeRuns size) => size.Pairs.Select(p => p.Stack.GbitPerSecond / p.Kernel.GbitPerSecond).ToArray();

    /// <summary>
    /// The 5th and 95th percentiles of median(routed) / median(flat) over <see cref="BootstrapDraws"/> resamplings of each
    /// lab's pair ratios (a percentile bootstrap, with a fixed seed so that a report is reproducible from its CSV).
    /// </summary>
    private static (double Low, double High) QuotientInterval(double[] flat, double[] routed)
    {
        var random = new Random(13);
        var quotients = new double[BootstrapDraws];
        var flatDraw = new double[flat.Length];
        var routedDraw = new double[routed.Length];
        for (int draw = 0; draw < BootstrapDraws; draw++)
        {
            for (int i = 0; i < flat.Length; i++) flatDraw[i] = flat[random.Next(flat.Length)];
            for (int i = 0; i < routed.Length; i++) routedDraw[i] = routed[random.Next(routed.Length)];
            quotients[draw] = Spread.Of(routedDraw).Median / Spread.Of(flatDraw).Median;
        }
        Array.Sort(quotients);
        return (quotients[(int)(0.05 * (BootstrapDraws - 1))], quotients[(int)(0.95 * (BootstrapDraws - 1))]);
    }

    private static void WriteOffload(MarkdownText text, List<(SizeRuns Flat, SizeRuns Routed)> rows)
    {
        text.Line($"## Offloads {ReportSections.OnOff(rows[0].Flat.Offload)}");
        text.Line();
        text.Line($"CPU is each whole process's user + system time; for the larger sizes net of its fixed cost (the median of its {ComparePlan.ReferenceSize} fetches in the same lab),");
        text.Line($"per GiB of the bytes beyond them; for {ComparePlan.ReferenceSize} the whole process. Retransmissions are the server's (`TcpRetransSegs`, summed over the pairs).");
        text.Line();
        text.Line($"| size | lab | kernel Gbit/s | stack Gbit/s | stack / kernel | kernel CPU s/GiB, net | stack CPU s/GiB, net | stack / kernel CPU | whole process wall ms, kernel / stack | server retransmissions, kernel / stack | resets, kernel / stack |");
        text.Line($"|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var (flat, routed) in rows)
        {
            foreach (var size in new[] { flat, routed })
            {
                bool reference = size.Size == ComparePlan.ReferenceSize;
                var cpu = reference ? size.Ratio(r => r.CpuSeconds) : size.Ratio(size.NetCpuPerGiB);
                text.Line($"| {size.Size} | {TopologyName(size)} | {size.Throughput(ClientSide.Kernel).Format("0.00")} | {size.Throughput(ClientSide.Stack).Format("0.00")} | {size.Ratio(r => r.GbitPerSecond).Format("0.00")} " +
                          $"| {(reference ? "–" : size.NetCpuPerGiB(ClientSide.Kernel).Format("0.00"))} | {(reference ? "–" : size.NetCpuPerGiB(ClientSide.Stack).Format("0.00"))} | {cpu.Format("0.00")} " +
                          $"| {size.Of(ClientSide.Kernel, r => r.WallSeconds * 1000).Median:0} / {size.Of(ClientSide.Stack, r => r.WallSeconds * 1000).Median:0} " +
                          $"| {size.Runs(ClientSide.Kernel).Sum(r => r.ServerRetransmissions)} / {size.Runs(ClientSide.Stack).Sum(r => r.ServerRetransmissions)} " +
                          $"| {size.Runs(ClientSide.Kernel).Sum(r => r.ServerResets)} / {size.Runs(ClientSide.Stack).Sum(r => r.ServerResets)} |");
            }
        }
        text.Line();
    }

    /// <summary>The segment size the server sent at, from its counters: what the path's MTU allowed each client.</summary>
    private static void WritePath(MarkdownText text, List<(SizeRuns Flat, SizeRuns Routed)> rows)
    {
        int remoteMss = RoutedLab.RemoteMtu - 40;
        text.Line($"## The path: MTU and segment size");
        text.Line();
        text.Line($"In the flat lab both ends are on one 1500-byte veth: MSS 1460, 1448 bytes of payload per segment with TCP timestamps. In the");
        text.Line($"routed lab the server's own link has MTU {RoutedLab.RemoteMtu}: its SYN-ACK offers MSS {RoutedLab.AdvertisedMss} (its route's `advmss`, as a distant server's), both");
        text.Line($"clients offer 1460 from their 1500-byte LAN, and the server sends at most what its link carries, MSS {remoteMss}: **{remoteMss - 12} bytes of payload per");
        text.Line($"segment to either client** (timestamps on), {(1448.0 / (remoteMss - 12) - 1) * 100:0.0} % more segments per byte than in the flat lab. A download's client sends only");
        text.Line($"its request and ACKs, all far below {RoutedLab.RemoteMtu} bytes, so no ICMP \"fragmentation needed\" is involved (an upload's would be). The server's");
        text.Line($"counters show it: body bytes per segment it sent (`TcpOutSegs`, which counts a GSO packet as the segments it is cut into), median of the runs:");
        text.Line();
        text.Line($"| offloads | size | flat, kernel / stack | routed, kernel / stack |");
        text.Line($"|---|---|--:|--:|");
        foreach (var (flat, routed) in rows.Where(r => r.Flat.Size != ComparePlan.ReferenceSize))
        {
            text.Line($"| {ReportSections.OnOff(flat.Offload)} | {flat.Size} | {flat.Of(ClientSide.Kernel, r => r.ServerBytesPerSegment).Median:0} / {flat.Of(ClientSide.Stack, r => r.ServerBytesPerSegment).Median:0} " +
                      $"| {routed.Of(ClientSide.Kernel, r => r.ServerBytesPerSegment).Median:0} / {routed.Of(ClientSide.Stack, r => r.ServerBytesPerSegment).Median:0} |");
        }
        text.Line();
    }

    private static void WriteLimits(MarkdownText text, List<(SizeRuns Flat, SizeRuns Routed)> rows)
    {
        text.Line($"## What limits");
        text.Line();
        text.Line($"Each client's routed throughput over its flat one (medians), the cores each kept busy (CPU net of the fixed cost over transfer");
        text.Line($"time), and the frames per MiB the stack's capture received (its `--stats`):");
        text.Line();
        text.Line($"| offloads | size | kernel: routed / flat | stack: routed / flat | cores busy flat, kernel / stack | cores busy routed, kernel / stack | stack frames per MiB, flat / routed |");
        text.Line($"|---|---|--:|--:|--:|--:|--:|");
        foreach (var (flat, routed) in rows.Where(r => r.Flat.Size != ComparePlan.ReferenceSize))
        {
            text.Line($"| {ReportSections.OnOff(flat.Offload)} | {flat.Size} | {routed.Throughput(ClientSide.Kernel).Median / flat.Throughput(ClientSide.Kernel).Median:0.00} " +
                      $"| {routed.Throughput(ClientSide.Stack).Median / flat.Throughput(ClientSide.Stack).Median:0.00} " +
                      $"| {flat.BusyCores(ClientSide.Kernel).Median:0.00} / {flat.BusyCores(ClientSide.Stack).Median:0.00} | {routed.BusyCores(ClientSide.Kernel).Median:0.00} / {routed.BusyCores(ClientSide.Stack).Median:0.00} " +
                      $"| {FramesPerMiB(flat):0} / {FramesPerMiB(routed):0} |");
        }
        text.Line();
        text.Line($"- **The router is CPU on the same cores.** In the routed lab every segment crosses two veth pairs and is forwarded by the");
        text.Line($"  router namespace (routing, conntrack and masquerade both ways), in softirq on the machine's {Environment.ProcessorCount} cores, which nginx and both");
        text.Line($"  clients share (CPU the clients' own figures above do not include). The work per segment is the same for both clients");
        text.Line($"  (same segments, same ACK path), so it lowers both throughputs; the ratio moves as far as one client suffers more from it.");
        text.Line($"- **Smaller segments.** {RoutedLab.RemoteMtu - 52} bytes of payload per segment instead of 1448: about 7 % more frames per GiB for the stack's");
        text.Line($"  poll thread (a cost per frame) and for the kernel receiver (a cost per segment or GRO batch) alike.");
        text.Line($"- **Offloads.** Frames per MiB above are one per segment with offloads off (about 725 per MiB at 1448 bytes, 778 at 1348);");
        text.Line($"  with offloads on fewer, as far as the veth ends (and in the routed lab the router) pass the server's GSO packets on whole.");
        text.Line();
    }

    private static void WriteMethod(MarkdownText text, ComparePlan plan)
    {
        text.Line($"## Method");
        text.Line();
        text.Line($"`bench/run-routed.sh` runs `scripts/setup.sh` (packages, build), then `UserTcp.LiveBench routed`, which brings up two labs of its");
        text.Line($"own (`usertcp lab up`, unique names, files {string.Join(", ", plan.Sizes)}): a flat one and one with `--topology routed`, and runs the");
        text.Line($"pairs as said above ({plan.Pairs} per size, offload setting and lab; the offload setting changed in place on both labs, all veth ends):");
        text.Line($"- **kernel, flat lab**: `ip netns exec F-cli curl -o /dev/null -w '%{{size_download}} %{{time_total}}' URL` with 198.18.0.3/24 added to the client");
        text.Line($"  veth for that run only (it holds no address otherwise, so the stack's 198.18.0.2 is never the kernel's).");
        text.Line($"- **kernel, routed lab**: the same curl in R-cli, from the namespace's own kernel address {RoutedLab.ClientKernelIp} by its default route via");
        text.Line($"  {RoutedLab.Gateway}: no temporary address.");
        text.Line($"- **stack**: `usertcp get URL -o /dev/null --lab P --stats` (the Native AOT binary, entering the client namespace with setns(2)); in");
        text.Line($"  the flat lab it claims 198.18.0.2, in the routed lab {RoutedLab.StackIp} with the lab's gateway {RoutedLab.Gateway} (its MAC by ARP).");
        text.Line($"- Transfer time is curl's `time_total` and the seconds `usertcp get` prints (connect to last byte, 1 ms resolution). Each client");
        text.Line($"  runs under `UserTcp.LiveBench rusage` (wall, user + system CPU from getrusage(RUSAGE_CHILDREN)). The server namespace's");
        text.Line($"  `nstat -asz` is read around every run: `TcpOutSegs`, `TcpRetransSegs`, and `TcpOutRsts + TcpEstabResets` as resets.");
        text.Line($"- The raw figures of every run are in [{Data}]({Data}) (the columns of data/compare.csv, with `topology` and `server_out_segs` first).");
        text.Line();
        ReportSections.Reproduce(text,
            "bench/run-routed.sh             # full run (root): rewrites this file and data/routed.csv",
            $"bench/run-routed.sh --runs N    # N pairs per size, offload setting and lab (default {ComparePlan.RoutedFullPairs})",
            $"bench/run-routed.sh --quick     # {string.Join(" and ", ComparePlan.RoutedQuick(ComparePlan.QuickPairs).Sizes)}, {ComparePlan.QuickPairs} pairs: what the test suite runs; perf-results is left alone");
    }

    private static double FramesPerMiB(SizeRuns size) => Spread.MedianOf(size.StackFigures, s => s.FramesReceived / (size.Bytes / TransferRun.MiB));

    private static string TopologyName(SizeRuns size) => size.Pairs[0].Kernel.Topology == LabTopology.Routed ? "routed" : "flat";
}
