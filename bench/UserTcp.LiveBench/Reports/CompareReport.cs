using System.Globalization;
using System.Text.RegularExpressions;
using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Runtime;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;
using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Reports;

/// <summary>
/// Writes perf-results/compare.md from the paired runs: a summary and the issue's targets (met or missed by how much)
/// from the /dev/null sink, a section per sink with a table per offload setting, what limits the stack (from figures
/// measured in the same runs), the method with what each client did with the bytes.
/// </summary>
internal static partial class CompareReport
{
    // Issue 11's targets: throughput at least 0.8 of the kernel's (stretch: parity) and CPU per GiB at most 2x its (offloads
    // off) or 1.5x (on), both into /dev/null; a 1 GiB download's peak RSS at most 40 MiB; a 64 KiB page's whole process at
    // most 3x curl's wall time.
    private const double ThroughputTarget = 0.8;
    private const double CpuTargetOffloadsOff = 2.0;
    private const double CpuTargetOffloadsOn = 1.5;
    private const double PeakRssTargetMiB = 40;
    private const double SmallPageWallTarget = 3.0;

    public static void Write(string path, ComparePlan plan, IReadOnlyList<TransferRun> runs, MachineInfo machine, string commit,
                             DateTimeOffset startedAt, TimeSpan elapsed, string? liveReport)
    {
        var groups = SizeRuns.Group(runs.Where(r => r.Direction == TransferDirection.Download));
        var uploads = SizeRuns.Group(runs.Where(r => r.Direction == TransferDirection.Upload));
        var measured = groups.Where(g => g.Size != ComparePlan.ReferenceSize).ToList();
        var headline = measured.Where(g => g.Sink == ComparePlan.HeadlineSink).ToList();
        var text = new MarkdownText();
        text.Line($"# User-space stack against kernel sockets: downloads over the same veth");
        text.Line();
        ReportSections.Regenerated(text, Command(plan), commit, startedAt, elapsed);
        text.Line();
        text.Line($"Each row pairs {plan.Pairs} downloads by the kernel (curl) with {plan.Pairs} by the user-space stack (`usertcp get`) of the same file from the");
        text.Line($"lab's nginx over the same veth, alternating which goes first, **both clients putting the body in the same sink**: /dev/null");
        text.Line($"(the headline: summary and targets) and a file in tmpfs (a second table), the sinks interleaved pair by pair. Every figure");
        text.Line($"is the median with its range (min–max) in brackets, and ratios are stack over kernel computed pair by pair within a sink,");
        text.Line($"then summarised. **Timings are noisy**: the machine is a shared {machine.Cores}-core VM (load average {machine.LoadAverageBefore} before the run,");
        text.Line($"{machine.LoadAverageAfter} after), and nginx, the veth and the client share those cores. Counts (segments, resets, bytes allocated) are exact.");
        text.Line($"Every body written to a file matched the served file's SHA-256; in every /dev/null run both clients reported exactly the");
        text.Line($"file's byte count (the same build's file runs carry the SHA-256 proof).");
        text.Line();
        WriteSummary(text, headline, measured.Where(g => g.Sink != ComparePlan.HeadlineSink), uploads);
        WriteTargets(text, headline, measured, groups.Where(g => g.Size == ComparePlan.ReferenceSize && g.Sink == ComparePlan.HeadlineSink));
        ReportSections.Machine(text, machine);
        foreach (var sink in plan.Sinks)
        {
            text.Line($"## Body to {CompareOrchestrator.SinkName(sink)}{(sink == ComparePlan.HeadlineSink ? " (the headline)" : "")}");
            text.Line();
            text.Line(WhatClientsDid(sink));
            text.Line();
            foreach (bool offload in plan.Offloads) WriteOffload(text, groups.Where(g => g.Offload == offload && g.Sink == sink).ToList());
        }
        if (uploads.Count > 0) WriteUploads(text, plan, uploads);
        WriteLimits(text, headline, measured, liveReport);
        WriteMethod(text, plan);
        ReportFile.Write(path, text.ToString());
    }

    public static string Command(ComparePlan plan) =>
        "bench/run-perf.sh" + (plan.IsQuick ? " --quick" : "") + (plan.Pairs != (plan.IsQuick ? ComparePlan.QuickPairs : ComparePlan.FullPairs) ? $" --runs {plan.Pairs}" : "");

    /// <summary>The largest size of each offload setting: the headline rows.</summary>
    private static IEnumerable<SizeRuns> Largest(IEnumerable<SizeRuns> measured) =>
        measured.GroupBy(g => g.Offload).Select(g => g.MaxBy(s => s.Bytes)!);

    private static void WriteSummary(MarkdownText text, List<SizeRuns> headline, IEnumerable<SizeRuns> otherSinks, List<SizeRuns> uploads)
    {
        text.Line($"## Summary");
        text.Line();
        foreach (var size in Largest(headline))
        {
            text.Line($"- **Offloads {ReportSections.OnOff(size.Offload)}, {size.Size}, both bodies to {CompareOrchestrator.SinkName(size.Sink)}**: stack {size.Throughput(ClientSide.Stack).Format("0.00")} Gbit/s, kernel {size.Throughput(ClientSide.Kernel).Format("0.00")} Gbit/s: " +
                      $"stack/kernel {size.Ratio(r => r.GbitPerSecond).Format("0.00")}; CPU per GiB (net of the fixed cost) stack {size.NetCpuPerGiB(ClientSide.Stack).Format("0.00")} s, " +
                      $"kernel {size.NetCpuPerGiB(ClientSide.Kernel).Format("0.00")} s; {size.Pairs.Sum(p => p.Kernel.ServerResets + p.Stack.ServerResets)} resets; " +
                      $"poll thread in the steady state: {SteadyBytesPerFrame(size.StackFigures)}.");
        }
        text.Line();
        // Not a bullet: perf-results/README.md takes the bullets as headline figures, and these are not the headline.
        foreach (var sink in otherSinks.GroupBy(g => g.Sink))
        {
            text.Line($"The same pairs with both bodies written to {CompareOrchestrator.SinkName(sink.Key)} instead: stack/kernel throughput " +
                      $"{string.Join(", ", Largest(sink).Select(size => $"{size.Ratio(r => r.GbitPerSecond).Format("0.00")} with offloads {ReportSections.OnOff(size.Offload)} ({size.Size})"))}; " +
                      $"kernel {string.Join(" and ", Largest(sink).Select(size => $"{size.Throughput(ClientSide.Kernel).Median:0.00} Gbit/s"))} there (its section below).");
            text.Line();
        }
        if (uploads.Count > 0)
        {
            text.Line($"Uploads (PUT from one tmpfs file to the lab's counting sink, `usertcp put` against `curl -T`): stack/kernel throughput " +
                      $"{string.Join(", ", Largest(uploads).Select(size => $"{size.Ratio(r => r.GbitPerSecond).Format("0.00")} with offloads {ReportSections.OnOff(size.Offload)} ({size.Size}: stack {size.Throughput(ClientSide.Stack).Median:0.00}, kernel {size.Throughput(ClientSide.Kernel).Median:0.00} Gbit/s)"))} (their section below).");
            text.Line();
        }
    }

    /// <summary>The uploads' section: a table per offload setting, then how they were run.</summary>
    private static void WriteUploads(MarkdownText text, ComparePlan plan, List<SizeRuns> uploads)
    {
        text.Line($"## Uploads: PUT to the lab's upload sink");
        text.Line();
        text.Line($"Both clients read the **same source**, the lab's file of that size copied once into tmpfs (/dev/shm) before the pairs, and PUT it");
        text.Line($"with a Content-Length to the lab's upload sink (`lab up`'s python3 server on {UploadSink.BaseUrl}, path `{UploadSink.CountPath}`: it reads the");
        text.Line($"whole body with recv_into into a 1 MiB buffer, counts it without hashing, and only then answers with the count). Each client's");
        text.Line($"own byte count and the count the server answered with were checked against the file's size in every run (a mismatch fails the");
        text.Line($"run): **all {uploads.Sum(g => g.Pairs.Count * 2)} uploads were counted whole by the server**. Retransmissions are the sender's: curl's from the client");
        text.Line($"namespace's `TcpRetransSegs`, the stack's from its `--stats`. CPU is the whole process per GiB (no fixed-cost reference for uploads).");
        text.Line($"Frames per send call is the stack's `device frames sent` over `device send calls` (sendmmsg batches, {PcapDeviceOptions.DefaultSendBatchFrames} frames at most).");
        text.Line();
        foreach (bool offload in plan.Offloads)
        {
            text.Line($"### Uploads, offloads {ReportSections.OnOff(offload)}");
            text.Line();
            text.Line($"| size | kernel Gbit/s | stack Gbit/s | stack / kernel | kernel CPU s/GiB | stack CPU s/GiB | stack / kernel CPU | kernel peak RSS (MiB) | stack peak RSS (MiB) | retransmissions, kernel / stack | stack frames per send call | resets, kernel / stack |");
            text.Line($"|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var size in uploads.Where(g => g.Offload == offload))
            {
                text.Line($"| {size.Size} | {size.Throughput(ClientSide.Kernel).Format("0.00")} | {size.Throughput(ClientSide.Stack).Format("0.00")} | {size.Ratio(r => r.GbitPerSecond).Format("0.00")} " +
                          $"| {size.CpuPerGiB(ClientSide.Kernel).Format("0.00")} | {size.CpuPerGiB(ClientSide.Stack).Format("0.00")} | {size.Ratio(r => r.CpuSeconds).Format("0.0")} " +
                          $"| {size.Of(ClientSide.Kernel, r => r.MaxResidentKib / 1024.0).Format("0")} | {size.Of(ClientSide.Stack, r => r.MaxResidentKib / 1024.0).Format("0")} " +
                          $"| {size.Runs(ClientSide.Kernel).Sum(r => r.ClientRetransmissions)} / {size.Runs(ClientSide.Stack).Sum(r => r.ClientRetransmissions)} " +
                          $"| {Spread.Of(size.StackFigures.Select(f => (double)f.FramesSent / f.DeviceSendCalls)).Format("0.0")} " +
                          $"| {size.Runs(ClientSide.Kernel).Sum(r => r.ServerResets)} / {size.Runs(ClientSide.Stack).Sum(r => r.ServerResets)} |");
            }
            text.Line();
        }
    }

    /// <summary>Throughput, CPU and memory targets from the headline sink (the small page's from its reference fetches); resets and
    /// allocation over every run of both sinks.</summary>
    private static void WriteTargets(MarkdownText text, List<SizeRuns> headline, List<SizeRuns> measured, IEnumerable<SizeRuns> references)
    {
        text.Line($"## Targets (reported, not asserted)");
        text.Line();
        text.Line($"| target | measured | verdict |");
        text.Line($"|---|---|---|");
        foreach (var size in Largest(headline))
        {
            string where = $"offloads {ReportSections.OnOff(size.Offload)} ({size.Size}, both to {CompareOrchestrator.SinkName(size.Sink)})";
            var ratio = size.Ratio(r => r.GbitPerSecond);
            string parity = ratio.Median >= 1 ? "; parity reached" : "";
            text.Line($"| stack download ≥ {ThroughputTarget:0.0}× the kernel's (stretch: parity), {where} | {ratio.Format("0.00")}× | {Verdict(ratio.Median >= ThroughputTarget)}{parity} |");
            double cpuTarget = size.Offload ? CpuTargetOffloadsOn : CpuTargetOffloadsOff;
            var cpu = size.Ratio(size.NetCpuPerGiB);
            text.Line($"| stack CPU per GiB ≤ {cpuTarget:0.0}× the kernel's (net of the fixed cost), {where} | {cpu.Format("0.0")}× | {Verdict(cpu.Median <= cpuTarget)} |");
            var rss = size.Of(ClientSide.Stack, r => r.MaxResidentKib / 1024.0);
            text.Line($"| stack peak RSS ≤ {PeakRssTargetMiB:0} MiB, {where} | {rss.Format("0")} MiB | {Verdict(rss.Median <= PeakRssTargetMiB)} |");
        }
        foreach (var reference in references)
        {
            var wall = reference.Ratio(r => r.WallSeconds);
            text.Line($"| whole process for a {reference.Size} page ≤ {SmallPageWallTarget:0}× curl's wall time, offloads {ReportSections.OnOff(reference.Offload)} " +
                      $"| {wall.Format("0.0")}× (stack {reference.Of(ClientSide.Stack, r => r.WallSeconds * 1000).Format("0")} ms, curl {reference.Of(ClientSide.Kernel, r => r.WallSeconds * 1000).Format("0")} ms) " +
                      $"| {Verdict(wall.Median <= SmallPageWallTarget)} |");
        }
        var all = measured.SelectMany(g => g.Pairs).ToList();
        long kernelResets = all.Sum(p => p.Kernel.ServerResets), stackResets = all.Sum(p => p.Stack.ServerResets);
        text.Line($"| zero resets in every run (both sinks) | {stackResets} in {all.Count} stack runs, {kernelResets} in {all.Count} kernel runs | {(stackResets == 0 ? "met" : $"**missed**: {stackResets} resets")} |");
        foreach (var size in Largest(headline))
        {
            // Issue 10: the server retransmits no more for the stack's ACKs than for the kernel receiver's.
            long kernelRetransmissions = size.Runs(ClientSide.Kernel).Sum(r => r.ServerRetransmissions);
            long stackRetransmissions = size.Runs(ClientSide.Stack).Sum(r => r.ServerRetransmissions);
            double gib = size.Runs(ClientSide.Stack).Sum(r => r.Bytes) / TransferRun.GiB;
            text.Line(string.Create(CultureInfo.InvariantCulture,
                $"| server retransmissions per GiB ≤ the kernel receiver's, offloads {ReportSections.OnOff(size.Offload)} ({size.Size}, both to {CompareOrchestrator.SinkName(size.Sink)}) " +
                $"| stack {stackRetransmissions / gib:0.0}, kernel {kernelRetransmissions / gib:0.0} ({stackRetransmissions} and {kernelRetransmissions} in {size.Pairs.Count} runs each) " +
                $"| {(stackRetransmissions <= kernelRetransmissions ? "met" : "**missed**")} |"));
        }
        var stackRuns = measured.SelectMany(g => g.StackFigures).ToList();
        long expiries = stackRuns.Sum(s => s.DelayedAckTimeouts);
        text.Line($"| 0 delayed-ACK timer expiries in every download (both sinks) | {expiries} in {stackRuns.Count} stack runs | {(expiries == 0 ? "met" : "**missed**")} |");
        var windows = stackRuns.Where(s => s.SteadyFrames is not null).ToList();
        long steadyBytes = windows.Sum(s => s.SteadyBytes!.Value);
        string shortRuns = windows.Count < stackRuns.Count ? $" ({stackRuns.Count - windows.Count} runs had fewer than {PollThreadUsage.SteadyStateMinimumFrames} frames: no window)" : "";
        text.Line($"| 0 B allocated per packet (the poll thread's own work, steady state, both sinks) | {steadyBytes:N0} B over {windows.Sum(s => s.SteadyFrames!.Value):N0} frames in the windows of {windows.Count} of {stackRuns.Count} stack runs{shortRuns} " +
                  $"| {(windows.Count == 0 ? "not shown: no run had a window" : steadyBytes == 0 ? "met" : $"**missed**: {(double)steadyBytes / windows.Sum(s => s.SteadyFrames!.Value):0.00} B per frame")} |");
        text.Line();
    }

    private static string Verdict(bool met) => met ? "met" : "**missed**";

    private static void WriteOffload(MarkdownText text, List<SizeRuns> groups)
    {
        bool offload = groups[0].Offload;
        bool sinkAlone = groups[0].Sink == BodySink.TmpfsFile;
        var measured = groups.Where(g => g.Size != ComparePlan.ReferenceSize).ToList();
        text.Line($"### Offloads {ReportSections.OnOff(offload)}, body to {CompareOrchestrator.SinkName(groups[0].Sink)}");
        text.Line();
        if (groups.FirstOrDefault(g => g.Size == ComparePlan.ReferenceSize) is { } reference)
        {
            text.Line($"Fixed cost per process (the {ComparePlan.ReferenceSize} fetch into the same sink): kernel {reference.Of(ClientSide.Kernel, r => r.CpuSeconds * 1000).Format("0")} ms CPU, " +
                      $"{reference.Of(ClientSide.Kernel, r => r.WallSeconds * 1000).Format("0")} ms wall; stack {reference.Of(ClientSide.Stack, r => r.CpuSeconds * 1000).Format("0")} ms CPU, " +
                      $"{reference.Of(ClientSide.Stack, r => r.WallSeconds * 1000).Format("0")} ms wall (`usertcp` is one Native AOT process that enters the namespace with setns(2)).");
            text.Line();
        }
        text.Line($"| size | kernel Gbit/s | stack Gbit/s | stack / kernel | kernel CPU s/GiB | stack CPU s/GiB | kernel CPU s/GiB, net | stack CPU s/GiB, net | stack / kernel CPU, net | kernel peak RSS (MiB) | stack peak RSS (MiB) |{(sinkAlone ? " tmpfs write alone: Gbit/s, CPU s/GiB |" : "")}");
        text.Line($"|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|{(sinkAlone ? "--:|" : "")}");
        foreach (var size in measured)
        {
            text.Line($"| {size.Size} | {size.Throughput(ClientSide.Kernel).Format("0.00")} | {size.Throughput(ClientSide.Stack).Format("0.00")} | {size.Ratio(r => r.GbitPerSecond).Format("0.00")} " +
                      $"| {size.CpuPerGiB(ClientSide.Kernel).Format("0.00")} | {size.CpuPerGiB(ClientSide.Stack).Format("0.00")} " +
                      $"| {size.NetCpuPerGiB(ClientSide.Kernel).Format("0.00")} | {size.NetCpuPerGiB(ClientSide.Stack).Format("0.00")} | {size.Ratio(size.NetCpuPerGiB).Format("0.0")} " +
                      $"| {size.Of(ClientSide.Kernel, r => r.MaxResidentKib / 1024.0).Format("0")} | {size.Of(ClientSide.Stack, r => r.MaxResidentKib / 1024.0).Format("0")} " +
                      $"|{(sinkAlone ? $" {size.Throughput(ClientSide.Sink).Format("0.0")}, {size.CpuPerGiB(ClientSide.Sink).Format("0.00")} |" : "")}");
        }
        text.Line();
        text.Line($"| size | stack GC gen0 / gen1 / gen2 | stack allocated (MiB, process) | poll thread: commands / wake-ups (B) | poll thread: stack work B per frame, whole run | poll thread: steady-state window | ACKs per MiB, kernel | ACKs per MiB, stack (server-counted / own) | server retransmissions, kernel / stack | resets, kernel / stack |");
        text.Line($"|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var size in measured)
        {
            var stack = size.StackFigures.ToList();
            text.Line($"| {size.Size} | {Spread.MedianOf(stack, s => s.Gen0Collections):0} / {Spread.MedianOf(stack, s => s.Gen1Collections):0} / {Spread.MedianOf(stack, s => s.Gen2Collections):0} " +
                      $"| {Spread.Of(stack.Select(s => s.AllocatedBytes / TransferRun.MiB)).Format("0.0")} | {Spread.MedianOf(stack, s => s.PollCommandBytes):N0} / {Spread.MedianOf(stack, s => s.PollWakeUpBytes):N0} " +
                      $"| {Spread.Of(stack.Select(s => s.PollStackBytesPerFrame)).Format("0.00")} " +
                      $"| {SteadyBytesPerFrame(stack)} | {size.Of(ClientSide.Kernel, r => r.ServerInSegmentsPerMiB).Format("0.0")} " +
                      $"| {size.Of(ClientSide.Stack, r => r.ServerInSegmentsPerMiB).Format("0.0")} / {Spread.Of(size.Pairs.Select(p => p.Stack.Stack!.AcksSent / (p.Stack.Bytes / TransferRun.MiB))).Format("0.0")} " +
                      $"| {size.Runs(ClientSide.Kernel).Sum(r => r.ServerRetransmissions)} / {size.Runs(ClientSide.Stack).Sum(r => r.ServerRetransmissions)} " +
                      $"| {size.Runs(ClientSide.Kernel).Sum(r => r.ServerResets)} / {size.Runs(ClientSide.Stack).Sum(r => r.ServerResets)} |");
        }
        text.Line();
    }

    /// <summary>"0 B over N frames" with the smallest window of the runs, or what was allocated.</summary>
    private static string SteadyBytesPerFrame(IEnumerable<StackFigures> stack)
    {
        var windows = stack.Where(s => s.SteadyFrames is not null).ToList();
        if (windows.Count == 0) return $"no window (fewer than {PollThreadUsage.SteadyStateMinimumFrames} frames)";
        long bytes = windows.Sum(s => s.SteadyBytes!.Value), frames = windows.Sum(s => s.SteadyFrames!.Value);
        return bytes == 0 ? $"0 B over {windows.Min(s => s.SteadyFrames!.Value):N0}+ frames per run" : $"{(double)bytes / frames:0.00} B per frame";
    }

    /// <summary>
    /// What each client did with the bytes in <paramref name="sink"/>: the system calls are from strace of one 10 MiB
    /// fetch of each (curl 7.88, offloads off) when this text was written, the rest from the code.
    /// </summary>
    internal static string WhatClientsDid(BodySink sink) => sink == BodySink.DevNull
        ? """
          - **curl** `-o /dev/null`: recv(2) of up to 100 KiB into its buffer (the one copy out of the socket), then fwrite(3), that is
            write(2) calls of 4–12 KiB to /dev/null, which return without copying (strace of a 10 MiB fetch: 110 recvfrom, 1,330 write).
          - **usertcp get** `-o /dev/null`: the poll thread copies each frame's payload from the capture (the device's packet socket's
            buffers for the first 4 MiB, libpcap's ring after: `--capture auto`) into the connection's receive buffer; get's loop reads through HttpClient's content stream
            with blocking reads, which `TcpStream.Read` serves on get's thread (woken by the poll thread directly) by copying from that receive buffer into get's 1 MiB buffer
            until it is full, then writes it whole through an unbuffered FileStream: write(2) of 1 MiB to /dev/null, which copies nothing.
          - Neither keeps the body. The byte count each reports must equal the file's: curl's `%{size_download}`, and the count
            on get's summary line (get itself fails a body shorter than its Content-Length). The SHA-256 proof is the file sink's.
          """
        : """
          Both clients write the body to a file in /dev/shm (tmpfs), created for each run and deleted once its SHA-256 matched the
          served file's: the same reads as into /dev/null, but every write(2) now copies into the page cache. curl does that on the
          thread that receives; usertcp get on its application thread while the poll thread receives. dd writing as many bytes
          into tmpfs alone (last column) is what this sink costs without a network.
          """;

    private static void WriteLimits(MarkdownText text, List<SizeRuns> headline, List<SizeRuns> measured, string? liveReport)
    {
        text.Line($"## What limits the stack");
        text.Line();
        text.Line($"Figures of the largest size with both bodies to {CompareOrchestrator.SinkName(ComparePlan.HeadlineSink)}, from the same runs: CPU net of the fixed cost (the poll thread's too: its CPU in the {ComparePlan.ReferenceSize} fetch),");
        text.Line($"\"cores\" is CPU seconds over transfer seconds.");
        text.Line();
        text.Line($"| offloads | stack / kernel throughput | cores busy, kernel | cores busy, stack | poll thread, cores | poll thread share of the stack's CPU | frames per MiB | device calls per frame (pcap_dispatch + write) | ACK writes per frame |");
        text.Line($"|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var size in Largest(headline))
        {
            var stack = size.Runs(ClientSide.Stack).ToList();
            text.Line($"| {ReportSections.OnOff(size.Offload)} | {size.Ratio(r => r.GbitPerSecond).Format("0.00")} | {size.BusyCores(ClientSide.Kernel).Format("0.00")} | {size.BusyCores(ClientSide.Stack).Format("0.00")} " +
                      $"| {Spread.Of(stack.Select(r => (r.Stack!.PollCpuSeconds - size.FixedPollCpuSeconds) / r.TransferSeconds)).Format("0.00")} " +
                      $"| {Spread.Of(stack.Select(r => (r.Stack!.PollCpuSeconds - size.FixedPollCpuSeconds) / (r.CpuSeconds - size.FixedCpuSeconds(ClientSide.Stack)))).Format("0%")} " +
                      $"| {Spread.MedianOf(stack, r => r.Stack!.FramesReceived / (r.Bytes / TransferRun.MiB)):0.0} " +
                      $"| {Spread.MedianOf(stack, r => (double)(r.Stack!.DeviceReceiveCalls + r.Stack.DeviceSendCalls) / r.Stack.FramesReceived):0.000} " +
                      $"| {Spread.MedianOf(stack, r => (double)r.Stack!.DeviceSendCalls / r.Stack.FramesReceived):0.000} |");
        }
        text.Line();
        text.Line($"- **Where the CPU goes.** The poll thread (device, TCP, the copy into the connection's receive buffer) is the share above; the");
        text.Line($"  rest of the stack's CPU is the application side: HttpClient's reads from `TcpStream`, the copy out of the receive buffer");
        text.Line($"  (`TcpStream.Read`), the wake-ups between the two threads (futex calls on both), and the writes (to /dev/null here). When the");
        text.Line($"  stack's busy cores approach the machine's {Environment.ProcessorCount}, which nginx and the veth share, the stack is CPU-bound; when they stay well");
        text.Line($"  below while the poll thread is under one core, the threads wait for each other.");
        var fileSink = Largest(measured.Where(g => g.Sink == BodySink.TmpfsFile)).ToList();
        var sinkRuns = fileSink.SelectMany(size => size.SinkAlone).ToList();
        if (sinkRuns.Count > 0)
        {
            double sinkCpu = Spread.MedianOf(sinkRuns, r => r.CpuSeconds / (r.Bytes / TransferRun.GiB));
            string Kernel(IEnumerable<SizeRuns> sizes, Func<SizeRuns, string> figure) =>
                string.Join(" and ", sizes.Select(size => $"{figure(size)} with offloads {ReportSections.OnOff(size.Offload)}"));
            text.Line($"- **The file sink.** Writing {fileSink[0].Size} into tmpfs alone (dd, 1 MiB writes) ran at {Spread.MedianOf(sinkRuns, r => r.GbitPerSecond):0.0} Gbit/s and took {sinkCpu:0.00} CPU s/GiB");
            text.Line($"  (all its runs). curl receives and writes on one thread, so that copy is part of its cost and its time: into the file it");
            text.Line($"  ran at {Kernel(fileSink, size => $"{size.Throughput(ClientSide.Kernel).Median:0.00} Gbit/s, {size.NetCpuPerGiB(ClientSide.Kernel).Median:0.00} CPU s/GiB net")},");
            text.Line($"  into /dev/null at {Kernel(Largest(headline), size => $"{size.Throughput(ClientSide.Kernel).Median:0.00} Gbit/s, {size.NetCpuPerGiB(ClientSide.Kernel).Median:0.00}")}. `usertcp get` writes on its");
            text.Line($"  application thread while the poll thread receives. That is why the headline is /dev/null: a file sink measures the sink.");
        }
        text.Line($"- **Copies along `usertcp get`** (from the code, not measured): the kernel copies each frame into the pcap ring (the first 4 MiB:");
        text.Line($"  recvmmsg(2) copies them into the device's socket buffers, `--capture auto`); the TCP engine copies its payload into");
        text.Line($"  the buffer of a blocking `TcpStream.Read` waiting on an empty receive buffer (direct delivery: most of a download's");
        text.Line($"  bytes, `--stats` \"tcp bytes read directly\"), otherwise into the connection's receive buffer, from which `TcpStream.Read`,");
        text.Line($"  on the application's thread, copies it into the buffer HttpClient reads with (`get`'s 1 MiB buffer: HttpClient reads");
        text.Line($"  into the caller's buffer directly when its own is empty); write(2) copies it into the file in the file sink and");
        text.Line($"  nowhere into /dev/null. One or two copies in user space and one or two in the kernel, where curl has one of each kind");
        text.Line($"  (recv(2) into its buffer; write(2), a copy only into a file). The kernel's copy into the ring runs in softirq on the core that sends the frame, nginx's for a veth,");
        text.Line($"  as its TCP receive work for curl does: nginx's own CPU per GiB was the same serving either client (README, \"Where a");
        text.Line($"  download's time goes\").");
        if (liveReport is not null && File.Exists(liveReport) && LiveConnectThroughput(File.ReadAllText(liveReport)) is { Count: > 0 } live)
        {
            text.Line($"- **TCP and the device alone.** perf-results/live.md (another run) measured the same stack's single-threaded receive path");
            text.Line($"  (`usertcp connect`'s code: one thread, the body counted, neither copied out nor written) at {string.Join(" and ", live.Select(l => $"{l.Gbit} Gbit/s with offloads {l.Offload}"))};");
            text.Line($"  `usertcp get` here reached {string.Join(" and ", Largest(headline).Select(size => $"{size.Throughput(ClientSide.Stack).Median:0.00} Gbit/s with offloads {ReportSections.OnOff(size.Offload)} ({size.Size})"))}: the difference is what the stream path");
            text.Line($"  (a second thread, the copy out of the receive buffer, HttpClient) adds, the body going to /dev/null.");
        }
        WriteRssShares(text);
        text.Line($"- **System calls per frame**: the device calls above are every recvmmsg(2) of the first 4 MiB, every pcap_dispatch (each reads a whole batch from the ring) and every");
        text.Line($"  sendmmsg(2) (the ACKs of a turn's batch in one call); poll(2) waits and the file's writes come on top. perf-results/live.md has strace counts for the receive path.");
        text.Line($"- **Cache misses** are not measured: {HardwareCounters()}.");
        text.Line();
    }

    /// <summary>What a download's peak RSS is made of: the capture ring first (its size follows from the link, not from the run).</summary>
    private static void WriteRssShares(MarkdownText text)
    {
        const int mtu = 1500;
        string Ring(bool offloads)
        {
            var ring = CaptureRing.For(mtu, offloads, PcapDeviceOptions.DefaultSnapshotLength,
                CaptureRing.BufferBytesFor(mtu, offloads, PcapDeviceOptions.DefaultSnapshotLength, PcapDeviceOptions.DefaultReceiveWindowBytes));
            return string.Create(CultureInfo.InvariantCulture, $"{ring.Bytes / TransferRun.MiB:0.##} MiB ({ring.Frames:N0} slots of {ring.FrameBytes:N0} B, {ring.FramesPerBlock} per {ring.BlockBytes / 1024} KiB block)");
        }
        text.Line($"- **Peak RSS.** Its largest single share is libpcap's capture ring (TPACKET_V2; `--capture auto` sets it up once a download passes 4 MiB),");
        text.Line($"  resident from then on because the kernel");
        text.Line($"  maps every page of it at mmap: sized for one and a half receive windows ({PcapDeviceOptions.DefaultReceiveWindowBytes >> 20} MiB) of full-sized frames");
        text.Line($"  (`PcapDeviceOptions.KernelBufferBytes`, `CaptureRing`), at MTU {mtu} with offloads off {Ring(false)},");
        text.Line($"  with them on {Ring(true)} (a fixed 32 MiB buffer made 41 and 64 MiB). The rest is the process: the binary and the libraries it maps");
        text.Line($"  (libpcap and its dependencies, OpenSSL for the initial sequence numbers' HMAC), the GC heap, thread stacks, and the");
        text.Line($"  connection's receive buffer (16 KiB chunks, up to the window) with the chunk pool's spare.");
    }

    /// <summary>perf-results/live.md's download throughput per offload setting, from its summary lines.</summary>
    private static List<(string Offload, string Gbit)> LiveConnectThroughput(string liveReport) =>
        LiveDownloadLine().Matches(liveReport).Select(m => (m.Groups["offload"].Value, m.Groups["gbit"].Value)).ToList();

    private static string HardwareCounters()
    {
        if (Tool.Find("perf") is null) return "perf is not installed";
        var probe = Tool.TryRun(["perf", "stat", "-e", "cache-misses", "true"]);
        return (probe.Output + probe.Error).Contains("<not supported>", StringComparison.Ordinal)
            ? "this VM exposes no hardware counters (`perf stat -e cache-misses` answers `<not supported>`)"
            : "perf can count them here, but the harness does not run it";
    }

    private static void WriteMethod(MarkdownText text, ComparePlan plan)
    {
        text.Line($"## Method");
        text.Line();
        text.Line($"`bench/run-perf.sh` runs `scripts/setup.sh` (packages, build), then `UserTcp.LiveBench compare`, which brings up its own lab");
        text.Line($"(`usertcp lab up`, a unique name, files {string.Join(", ", plan.Sizes)}), and for offloads {string.Join(" then ", plan.Offloads.Select(ReportSections.OnOff))} and each size runs {plan.Pairs} pairs into");
        text.Line($"each sink ({string.Join(", then ", plan.Sinks.Select(CompareOrchestrator.SinkName))}; the order of the sinks, like that of the clients, reversed in even pairs):");
        text.Line($"- **kernel**: `ip netns exec P-cli curl -o SINK -w '%{{size_download}} %{{time_total}}' URL`, with 198.18.0.3/24 added to the client veth for");
        text.Line($"  that run only (the veth has no address otherwise, so the stack's 198.18.0.2 is never the kernel's). Transfer time is curl's `time_total`.");
        text.Line($"- **stack**: `usertcp get URL -o SINK --lab P --stats`, as a user runs it (the Native AOT binary; it enters the client namespace with setns(2)). Transfer");
        text.Line($"  time is the seconds it prints (connect to last byte, 1 ms resolution); GC, allocation, poll-thread and frame figures are its");
        text.Line($"  `--stats` block (counted since the stack started).");
        text.Line($"- **tmpfs write alone**: `dd if=/dev/zero of=FILE bs=1M count=SIZE iflag=count_bytes`, as many runs as pairs, after them: the file");
        text.Line($"  sink's own cost with no network (its transfer time is the process's wall time).");
        text.Line($"SINK is, for both clients of a pair alike, either a symbolic link to /dev/null (a link, so that get's clean-up of a partial body");
        text.Line($"after a failure, running as root, deletes the link and never the device) or a file in tmpfs (/dev/shm); what each client did");
        text.Line($"with the bytes is in each sink's section. Each client reported its byte count, checked against the file's size in both sinks;");
        text.Line($"the file's bytes were checked against the served file's SHA-256 too. Each client runs under");
        text.Line($"a wrapper process (`UserTcp.LiveBench rusage`) whose only child it is: wall time, user + system CPU time and peak RSS come from");
        text.Line($"getrusage(RUSAGE_CHILDREN) after it was reaped (the process and the copy it waited for). The server namespace's `nstat -asz`");
        text.Line($"is read around every run: ACKs per MiB are its `TcpInSegs` (segments from the client: ACKs, plus SYN, request and FIN) per MiB");
        text.Line($"of body for both clients; retransmissions are `TcpRetransSegs`; resets are `TcpOutRsts + TcpEstabResets`.");
        text.Line();
        text.Line($"The poll thread's allocations come from `GC.GetAllocatedBytesForCurrentThread` read at the end of each turn, around queued");
        text.Line($"commands and around wake-ups of application threads; \"stack work\" is everything but those two: commands allocate by design");
        text.Line($"(a connection and its stream, counter reads), and a wake-up of an awaited read queues its continuation to the thread pool (get's");
        text.Line($"blocking reads are woken directly). The");
        text.Line($"steady-state window runs from the last of the marks 1, 2, 3, 4, 6, 8, 12, … frames at or below a quarter of the frames to");
        text.Line($"the last at or below seven eighths: warm-up before it, the connection's end after it (`PollThreadUsage.SteadyState`).");
        text.Line();
        ReportSections.Reproduce(text,
            "bench/run-perf.sh             # full run (root): rewrites this file, data/compare.csv, README.md and the plots",
            $"bench/run-perf.sh --runs N    # N pairs per size, offload setting and sink (default {ComparePlan.FullPairs})",
            $"bench/run-perf.sh --quick     # {string.Join(" and ", plan.IsQuick ? plan.Sizes : ComparePlan.Quick(ComparePlan.QuickPairs).Sizes)}, {ComparePlan.QuickPairs} pairs: what the test suite runs; perf-results is left alone");
    }

    [GeneratedRegex(@"\*\*Download from nginx, offloads (?<offload>on|off)\*\*:.*?, (?<gbit>[0-9.]+)(?: \([^)]*\))? Gbit/s")]
    private static partial Regex LiveDownloadLine();
}
