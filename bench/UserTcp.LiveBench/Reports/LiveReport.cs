using System.Globalization;
using UserTcp.Fast.Devices.Pcap;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Results;

namespace UserTcp.LiveBench.Reports;

/// <summary>Writes perf-results/live.md from the measured cases: tables of medians with their ranges, syscalls per frame, limits, method.</summary>
internal static class LiveReport
{
    private const double Nano = 1e9;
    private const double MiB = 1024 * 1024;

    public static void Write(string path, LiveResults results, MachineInfo machine, string commit, DateTimeOffset startedAt, TimeSpan elapsed)
    {
        var text = new MarkdownText();
        var plan = results.Plan;

        text.Line($"# Live stack: per-frame cost on a real device");
        text.Line();
        ReportSections.Regenerated(text, $"bench/run-live.sh{(plan.IsQuick ? " --quick" : "")}", commit, startedAt, elapsed);
        text.Line();
        text.Line($"**These timings are noisy.** The machine is a shared 2-core VM: other work on it competes for both cores (load average");
        text.Line($"{machine.LoadAverageBefore} before the run, {machine.LoadAverageAfter} after), and on a veth the peer's kernel work runs on the");
        text.Line($"same two cores. Every figure is the median of {plan.Runs} runs, each in a fresh process, with the range (min–max) in brackets;");
        text.Line($"compare only with runs on the same machine. Counts (frames, system calls, drops) are exact.");
        text.Line();
        WriteSummary(text, results);
        ReportSections.Machine(text, machine);
        WriteDownloads(text, results);
        WriteReplays(text, results);
        WriteSends(text, results);
        WriteSyscalls(text, results);
        WriteOtherThreads(text, results);
        WriteLimits(text, results);
        WriteMethod(text, results);

        ReportFile.Write(path, text.ToString());
    }

    private static void WriteSummary(MarkdownText text, LiveResults results)
    {
        text.Line($"## Summary");
        text.Line();
        foreach (var download in results.Downloads)
        {
            var runs = download.Measured.Runs;
            text.Line($"- **Download from nginx, offloads {ReportSections.OnOff(download.Offload)}**: {Spread.Of(runs.Select(CpuPerReceivedFrame)).Format("N0")} ns of process CPU per received frame " +
                 $"({Spread.Of(runs.Select(r => (double)r.BytesReceived / r.FramesReceived)).Median:N0}-byte frames on average), " +
                 $"{Spread.Of(runs.Select(Goodput)).Format("0.00")} Gbit/s, {Spread.Of(runs.Select(r => r.ProcessCpuSeconds / r.WallSeconds * 100)).Median:0}% of a core.");
        }
        foreach (var replay in results.Replays)
        {
            var runs = replay.Measured.Runs;
            text.Line($"- **Replay at {replay.RateText}** (1514-byte frames into the open connection): " +
                 $"{Spread.Of(runs.Select(r => CpuPerReceivedFrame(r.Stack))).Format("N0")} ns of process CPU per frame, " +
                 $"{Spread.Of(runs.Select(r => r.Stack.ProcessCpuSeconds / r.Replayer.Seconds * 100)).Median:0}% of a core at {Spread.Of(runs.Select(r => r.Replayer.FramesPerSecond)).Median:N0} frames/s.");
        }
        foreach (var send in results.Sends)
        {
            var runs = send.Measured.Runs;
            text.Line($"- **UDP send, {send.Payload}-byte payload**: {Spread.Of(runs.Select(CpuPerSentFrame)).Format("N0")} ns of process CPU per frame, " +
                 $"{Spread.Of(runs.Select(r => r.FramesSent / r.WallSeconds)).Format("N0")} frames/s, {Spread.Of(runs.Select(r => (double)r.SendCalls / r.FramesSent)).Median:0.00} send calls (write(2) or sendmmsg(2)) per frame.");
        }
        text.Line();
    }

    private static void WriteDownloads(MarkdownText text, LiveResults results)
    {
        var plan = results.Plan;
        text.Line($"## 1. Receive: a real download from the lab's nginx");
        text.Line();
        text.Line($"`GET {plan.DownloadPath}` ({results.Downloads[0].FileBytes / MiB:0} MiB) through `usertcp connect`'s own code (`ConnectCommand.Run`), from the SYN to the clean close,");
        text.Line($"with the Linux kernel's nginx as the peer across the lab's veth. Per frame means per frame the device handed to the stack;");
        text.Line($"with offloads on the peer's kernel sends GSO frames of up to 64 KiB, so there are far fewer, larger frames.");
        text.Line();
        text.Line($"| offloads | frames in | mean frame (B) | frames out (ACKs) | goodput (Gbit/s) | frames/s | process CPU per frame (ns) | loop thread CPU per frame (ns) | CPU per MiB (µs) | CPU load (% of a core) | system share of CPU | pcap_dispatch calls per frame | writes per frame | ps_drop | kernel resets | server retransmissions |");
        text.Line($"|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var download in results.Downloads)
        {
            var runs = download.Measured.Runs;
            text.Line($"| {ReportSections.OnOff(download.Offload)} | {Spread.MedianOf(runs, r => r.FramesReceived):N0} | {Spread.MedianOf(runs, r => (double)r.BytesReceived / r.FramesReceived):N0} | {Spread.MedianOf(runs, r => r.FramesSent):N0} " +
                 $"| {Spread.Of(runs.Select(Goodput)).Format("0.00")} | {Spread.Of(runs.Select(r => r.FramesReceived / r.WallSeconds)).Format("N0")} " +
                 $"| {Spread.Of(runs.Select(CpuPerReceivedFrame)).Format("N0")} | {Spread.Of(runs.Select(r => r.LoopThreadCpuSeconds * Nano / r.FramesReceived)).Format("N0")} " +
                 $"| {Spread.Of(runs.Select(r => r.ProcessCpuSeconds * 1e6 / (r.PayloadBytes / MiB))).Format("N0")} | {Spread.Of(runs.Select(r => r.ProcessCpuSeconds / r.WallSeconds * 100)).Format("0")} " +
                 $"| {Spread.Of(runs.Select(SystemShare)).Format("0%")} | {Spread.MedianOf(runs, r => (double)r.ReceiveCalls / r.FramesReceived):0.000} | {Spread.MedianOf(runs, r => (double)r.SendCalls / r.FramesReceived):0.000} " +
                 $"| {runs.Max(r => r.KernelDrops)} | {download.ServerResets} | {download.ServerRetransmissions} |");
        }
        text.Line();
        text.Line($"Every download closed cleanly with the whole body ({results.Downloads[0].FileBytes:N0} bytes plus the response header). Kernel resets and server");
        text.Line($"retransmissions are the server namespace's `TcpOutRsts + TcpEstabResets` and `TcpRetransSegs` over all runs of the row, the traced one included.");
        text.Line();
    }

    private static void WriteReplays(MarkdownText text, LiveResults results)
    {
        text.Line($"## 2. Receive: the recorded download replayed at the stack");
        text.Line();
        text.Line($"The server's side of one download of `{results.Plan.DownloadPath}` (offloads off: {results.RecordedFrames:N0} frames after the SYN-ACK, 1514 bytes but the last few),");
        text.Line($"recorded by the stack's `--pcap` tee, is replayed by tcpreplay from the server namespace into **the same connection**, opened again");
        text.Line($"by a stack with the recording's ISN, port and request while the server's kernel is made deaf (nftables drops everything it receives).");
        text.Line($"So every replayed segment is in order and in window and takes the real receive path: pcap_dispatch, Ethernet/IPv4/TCP parse,");
        text.Line($"checksum, four-tuple lookup, append to the receive ring, the ACKs the cumulative policy sends (one per batch, at least one");
        text.Line($"per two full segments), the application's read.");
        text.Line($"Replayed frames at no connection would measure something else: the stack answers each with a RST, one write per frame.");
        text.Line($"Fixed rates replay a prefix of at most {results.Plan.FixedRateDuration.TotalSeconds:0} s.");
        text.Line();
        text.Line($"The replay keeps the recorded order, so its out-of-order count is the recording's: the recorded download itself saw");
        text.Line($"{results.Recording.OutOfOrderSegments} out-of-order and {results.Recording.DuplicateSegments} duplicate segments. On this lab that is reordering, not loss: ps_drop");
        text.Line($"is 0, and checked by hand during such a download the veth's and softnet's drop counters stayed at 0 too. Most likely frames");
        text.Line($"overtake each other when the sender moves between the two CPUs, whose per-CPU backlogs the veth feeds.");
        text.Line();
        text.Line($"| rate asked | achieved by tcpreplay (frames/s) | frames replayed | received by the stack | not received | ps_drop | out of order / duplicate / unacceptable | process CPU per frame (ns) | loop thread CPU per frame (ns) | CPU load (% of a core) | system share of CPU | frames per pcap_dispatch | writes (ACKs) per frame |");
        text.Line($"|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var replay in results.Replays)
        {
            var runs = replay.Measured.Runs;
            text.Line($"| {replay.RateText} | {Spread.Of(runs.Select(r => r.Replayer.FramesPerSecond)).Format("N0")} | {replay.Frames:N0} " +
                 $"| {Spread.MedianOf(runs, r => r.Stack.FramesReceived):N0} | {runs.Max(r => Math.Max(0, r.Replayer.Frames - r.Stack.FramesReceived))} | {runs.Max(r => r.Stack.KernelDrops)} " +
                 $"| {runs.Max(r => r.Stack.OutOfOrderSegments)} / {runs.Max(r => r.Stack.DuplicateSegments)} / {runs.Max(r => r.Stack.UnacceptableSegments)} " +
                 $"| {Spread.Of(runs.Select(r => CpuPerReceivedFrame(r.Stack))).Format("N0")} | {Spread.Of(runs.Select(r => r.Stack.LoopThreadCpuSeconds * Nano / r.Stack.FramesReceived)).Format("N0")} " +
                 $"| {Spread.Of(runs.Select(r => r.Stack.ProcessCpuSeconds / r.Replayer.Seconds * 100)).Format("0")} | {Spread.Of(runs.Select(r => SystemShare(r.Stack))).Format("0%")} " +
                 $"| {Spread.MedianOf(runs, r => (double)r.Stack.FramesReceived / r.Stack.ReceiveCalls):0.0} | {Spread.MedianOf(runs, r => (double)r.Stack.SendCalls / r.Stack.FramesReceived):0.000} |");
        }
        text.Line();
        text.Line($"Not received = replayed − received at the device (worst run); the worst run is shown for drops and sequence anomalies, which are");
        text.Line($"zero when the stack kept up. CPU load is the stack's CPU time over tcpreplay's sending time.");
        text.Line();
    }

    private static void WriteSends(MarkdownText text, LiveResults results)
    {
        text.Line($"## 3. Send: UDP datagrams through the interface and the device");
        text.Line();
        text.Line($"Each poll-loop turn the application sends one batch ({64} datagrams) with `NetworkInterface.SendUdp` (IPv4 + UDP headers,");
        text.Line($"checksum, neighbour lookup), which `PcapDevice.Send` writes to libpcap's packet socket; the turn's receive and flush run as usual.");
        text.Line($"{results.Plan.SendFrames:N0} datagrams per run after {results.Plan.SendWarmupFrames:N0} for warm-up; the server's kernel drops them on input.");
        text.Line();
        text.Line($"| payload (B) | frame (B) | frames/s | Gbit/s (frames) | process CPU per frame (ns) | loop thread CPU per frame (ns) | user / system per frame (ns) | writes per frame | deferred (EAGAIN) | dropped |");
        text.Line($"|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var send in results.Sends)
        {
            var runs = send.Measured.Runs;
            text.Line($"| {send.Payload} | {Spread.MedianOf(runs, r => (double)r.BytesSent / r.FramesSent):N0} | {Spread.Of(runs.Select(r => r.FramesSent / r.WallSeconds)).Format("N0")} " +
                 $"| {Spread.Of(runs.Select(r => r.BytesSent * 8 / r.WallSeconds / 1e9)).Format("0.00")} | {Spread.Of(runs.Select(CpuPerSentFrame)).Format("N0")} " +
                 $"| {Spread.Of(runs.Select(r => r.LoopThreadCpuSeconds * Nano / r.FramesSent)).Format("N0")} " +
                 $"| {Spread.MedianOf(runs, r => r.ProcessUserSeconds * Nano / r.FramesSent):N0} / {Spread.MedianOf(runs, r => r.ProcessSystemSeconds * Nano / r.FramesSent):N0} " +
                 $"| {Spread.MedianOf(runs, r => (double)r.SendCalls / r.FramesSent):0.000} | {runs.Max(r => r.SendsDeferred)} | {runs.Max(r => r.SendsDropped)} |");
        }
        text.Line();
    }

    private static void WriteSyscalls(MarkdownText text, LiveResults results)
    {
        text.Line($"## 4. System calls per frame");
        text.Line();
        text.Line($"`strace -c -f` attached to every thread of the stack process for the measured window of one extra run per case (the GC, JIT");
        text.Line($"and runtime threads included). strace stops the tracee at every call, so the traced run is slower and its batches differ:");
        text.Line($"only its counts are used. The device's own counters from the timed runs are in the tables above.");
        text.Line();
        text.Line($"| case | frames | system calls per frame | by call (per frame) |");
        text.Line($"|---|--:|--:|---|");
        foreach (var download in results.Downloads)
            SyscallRow(text, Label(download), download.Measured.Traced.FramesReceived, download.Measured.Syscalls);
        foreach (var replay in results.Replays)
            SyscallRow(text, Label(replay), replay.Measured.Traced.Stack.FramesReceived, replay.Measured.Syscalls);
        foreach (var send in results.Sends)
            SyscallRow(text, Label(send), send.Measured.Traced.FramesSent, send.Measured.Syscalls);
        text.Line();
    }

    private static void SyscallRow(MarkdownText text, string label, long frames, IReadOnlyDictionary<string, long> calls)
    {
        string byCall = string.Join(", ", calls.OrderByDescending(kv => kv.Value).Take(6)
            .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {(double)kv.Value / frames:0.000}")));
        text.Line($"| {label} | {frames:N0} | {(double)calls.Values.Sum() / frames:0.000} | {byCall} |");
    }

    private static void WriteOtherThreads(MarkdownText text, LiveResults results)
    {
        text.Line($"## 5. Process CPU besides the poll loop");
        text.Line();
        text.Line($"Process CPU minus the loop thread's, per frame, and the other threads that used it (CPU summed over the timed runs, from");
        text.Line($"/proc/self/task/*/stat at 10 ms resolution).");
        text.Line();
        text.Line($"| case | other threads per frame (ns) | by thread (ms over all runs) |");
        text.Line($"|---|--:|---|");
        foreach (var download in results.Downloads)
            OtherThreadsRow(text, Label(download), download.Measured.Runs, r => r.FramesReceived);
        foreach (var replay in results.Replays)
            OtherThreadsRow(text, Label(replay), replay.Measured.Runs.Select(r => r.Stack).ToList(), r => r.FramesReceived);
        foreach (var send in results.Sends)
            OtherThreadsRow(text, Label(send), send.Measured.Runs, r => r.FramesSent);
        text.Line();
    }

    private static void OtherThreadsRow(MarkdownText text, string label, IReadOnlyList<RunResult> runs, Func<RunResult, long> frames)
    {
        var byThread = runs.SelectMany(r => r.OtherThreadsCpuSeconds).GroupBy(kv => kv.Key, kv => kv.Value)
            .Select(g => (Name: g.Key, Seconds: g.Sum())).OrderByDescending(t => t.Seconds).Take(4).ToList();
        string threads = byThread.Count == 0 ? "none measurable"
            : string.Join(", ", byThread.Select(t => $"`{t.Name}` {t.Seconds * 1000:0}"));
        text.Line($"| {label} | {Spread.MedianOf(runs, r => (r.ProcessCpuSeconds - r.LoopThreadCpuSeconds) * Nano / frames(r)):N0} | {threads} |");
    }

    private static void WriteLimits(MarkdownText text, LiveResults results)
    {
        text.Line($"## What limits each path");
        text.Line();
        foreach (var download in results.Downloads)
        {
            var runs = download.Measured.Runs;
            double load = Spread.MedianOf(runs, r => r.ProcessCpuSeconds / r.WallSeconds * 100);
            text.Line($"- **Download, offloads {ReportSections.OnOff(download.Offload)}.** The stack used {load:0}% of a core at {Spread.MedianOf(runs, r => r.FramesReceived / r.WallSeconds):N0} frames/s: " +
                      (load >= 85
                          ? "it is CPU-bound, and this is its receive ceiling on this machine."
                          : "it waited for frames the rest of the time, so the peer (nginx's kernel: TCP send, veth, the softirq that fills the ring, all on these two cores) set the pace."));
            text.Line($"  Per frame: {Spread.MedianOf(runs, r => r.ProcessUserSeconds * Nano / r.FramesReceived):N0} ns user and {Spread.MedianOf(runs, r => r.ProcessSystemSeconds * Nano / r.FramesReceived):N0} ns system time, " +
                      $"{Spread.MedianOf(runs, r => (double)r.ReceiveCalls / r.FramesReceived):0.000} pcap_dispatch calls (each reads a batch in place from the ring) and " +
                      $"{Spread.MedianOf(runs, r => (double)r.SendCalls / r.FramesReceived):0.000} ACK writes.");
        }
        var mtuSized = results.Downloads.FirstOrDefault(d => !d.Offload)?.Measured.Runs ?? results.Downloads[0].Measured.Runs;
        text.Line($"  System time is more than the calls themselves: on a veth an ACK's write(2) runs the peer's receive of that ACK in the");
        text.Line($"  writer's context, and with it, most likely, the server's TCP sending the data that ACK allowed, down to the copy into");
        text.Line($"  this stack's ring; so part of the peer's work is billed to the stack. The user time per frame without offloads");
        text.Line($"  ({Spread.MedianOf(mtuSized, r => r.ProcessUserSeconds * Nano / r.FramesReceived):N0} ns) is several times the TCP engine's 60 ns per segment in perf-results/tcp.md, where frames");
        text.Line($"  are warm in cache; here each frame was written into the ring by the other core and is read cold (checksum, copy into");
        text.Line($"  the receive ring, copy to the application). That too is a likely reading, not a measured one: this VM exposes no perf");
        text.Line($"  counters.");
        var byRate = results.Replays;
        text.Line($"- **Replay.** The cost per frame falls as the rate rises: " +
                  string.Join(", ", byRate.Select(r => $"{Spread.MedianOf(r.Measured.Runs, x => CpuPerReceivedFrame(x.Stack)):N0} ns at {r.RateText} " +
                                                       $"({Spread.MedianOf(r.Measured.Runs, x => (double)x.Stack.FramesReceived / x.Stack.ReceiveCalls):0.0} frames per pcap_dispatch)")) + ".");
        text.Line($"  At low rates every frame wakes the loop on its own (poll(2), one pcap_dispatch, an ACK for every second segment): the");
        text.Line($"  wake-up's fixed cost is not shared by a batch. A busy-polling loop (`--busy-poll`) would trade a core for that cost.");
        var fastest = byRate.First(r => r.FramesPerSecond is null);
        text.Line($"  At full speed tcpreplay sent {Spread.MedianOf(fastest.Measured.Runs, r => r.Replayer.FramesPerSecond):N0} frames/s (one PF_PACKET send per frame) and the stack needed " +
                  $"{Spread.MedianOf(fastest.Measured.Runs, r => r.Stack.ProcessCpuSeconds / r.Replayer.Seconds * 100):0}% of a core with ps_drop {fastest.Measured.Runs.Max(r => r.Stack.KernelDrops)}:");
        text.Line($"  replayer and stack together fill the two cores, so neither figure is a clean ceiling on its own.");
        foreach (var send in results.Sends)
        {
            var runs = send.Measured.Runs;
            text.Line($"- **Send, {send.Payload}-byte payload.** {Spread.MedianOf(runs, r => r.ProcessUserSeconds * Nano / r.FramesSent):N0} ns user and {Spread.MedianOf(runs, r => r.ProcessSystemSeconds * Nano / r.FramesSent):N0} ns system time per frame, " +
                      $"{Spread.MedianOf(runs, r => (double)r.SendCalls / r.FramesSent):0.000} send calls (write(2) or sendmmsg(2)) per frame.");
        }
        text.Line($"  The kernel's side of each frame (packet-socket send: skb allocation, copy, veth transmit, and the peer's receive up to");
        text.Line($"  the nftables drop, in the sender's context) is most of the cost, and the payload size hardly changes it. The pcap device");
        text.Line($"  hands a turn's frames to the kernel with sendmmsg(2), up to {PcapDeviceOptions.DefaultSendBatchFrames} per call (the calls per frame above), which");
        text.Line($"  saves the calls but not the per-frame work; PACKET_TX_RING (a ring shared with the kernel, no copy from user space) is not built.");
        text.Line();
    }

    private static void WriteMethod(MarkdownText text, LiveResults results)
    {
        var plan = results.Plan;
        text.Line($"## Method");
        text.Line();
        text.Line($"`bench/run-live.sh` builds `bench/UserTcp.LiveBench` and runs it as root. The harness brings up its own lab (`usertcp lab`, a");
        text.Line($"unique name, files {plan.Files}), measures, and always removes it. Each run is a fresh stack process started in the lab's client");
        text.Line($"namespace (`ip netns exec`). It first warms up on the path it will measure (downloads of `{plan.WarmupPath}` from nginx on");
        text.Line($"throw-away stacks, or unmeasured sends), four rounds with a 200 ms pause after each, because tiering waits 100 ms");
        text.Line($"without new calls before it counts them and then promotes hot methods in the background, twice with PGO. The window then");
        text.Line($"runs optimized code. Right before the window it waits until the JIT has compiled nothing for 300 ms, so promotions still");
        text.Line($"queued compile outside it; what the JIT compiles inside it anyway shows in section 5. The window is read inside that");
        text.Line($"process: CPU time");
        text.Line($"by getrusage (RUSAGE_SELF: every thread; RUSAGE_THREAD: the poll-loop thread), wall time, and the device, interface and TCP");
        text.Line($"counters (`DeviceStats.ReceiveCalls` is pcap_dispatch calls, `SendCalls` write(2) or sendmmsg(2) calls, `KernelDrops` pcap's ps_drop).");
        text.Line($"The kernel measures a thread's total CPU time exactly but splits it into user and system time from tick samples, so the");
        text.Line($"user/system split is an estimate and the totals are not.");
        text.Line($"The replay cases switch the lab to offloads off and the server's kernel deaf (`usertcp lab up --loss-up 100`); the send cases");
        text.Line($"keep the server deaf so nothing answers. The download body is counted, not kept; the replay body is read by the application");
        text.Line($"in every turn. The recording for the replay uses a fixed ISN, port and timestamp offset (`ReplayableIdentity`), never used");
        text.Line($"for real traffic.");
        text.Line();
        text.Line($"Left out: a physical NIC (only veth here, where the peer's kernel shares the CPU); TAP devices; the send path of TCP data");
        text.Line($"(the download's ACKs are the only TCP frames sent); perf counters (cycles, cache misses), which this VM does not expose.");
        text.Line();
        ReportSections.Reproduce(text,
            "bench/run-live.sh           # full run (root); rewrites this file",
            "bench/run-live.sh --quick   # a few seconds per case, one run each: what the test suite runs to prove the harness works");
    }

    /// <summary>A case's name in the tables that list every case (system calls, other threads).</summary>
    private static string Label(DownloadCase download) => $"download, offloads {ReportSections.OnOff(download.Offload)}";

    private static string Label(ReplayCase replay) => $"replay at {replay.RateText}";

    private static string Label(SendCase send) => $"UDP send, {send.Payload}-byte payload";

    private static double CpuPerReceivedFrame(RunResult run) => run.ProcessCpuSeconds * Nano / run.FramesReceived;

    private static double CpuPerSentFrame(RunResult run) => run.ProcessCpuSeconds * Nano / run.FramesSent;

    private static double Goodput(RunResult run) => run.PayloadBytes * 8 / run.WallSeconds / 1e9;

    private static double SystemShare(RunResult run) => run.ProcessSystemSeconds / run.ProcessCpuSeconds;
}
