using System.Globalization;
using System.Text;
using UserTcp.Fast.Tcp;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;
using UserTcp.LiveBench.Results;
using UserTcp.LiveBench.Roles;

namespace UserTcp.LiveBench.Reports;

/// <summary>
/// Writes perf-results/ack-latency.md (method, machine, the two measurements side by side, the checks that the bursts were
/// bursts, the target and what limits it) and the raw samples as CSV (receiver,burst,method,latency_us).
/// </summary>
internal static class AckLatencyReport
{
    private const double TargetMicroseconds = 100;
    private const int TargetBurst = 64;

    /// <summary>The runs of one receiver, burst size and segment size.</summary>
    internal sealed record Case(AckReceiver Receiver, int Burst, int SegmentBytes, IReadOnlyList<AckRun> Runs)
    {
        public bool IsFullSegment => SegmentBytes == BurstRequest.FullSegmentBytes;
        public IEnumerable<long> InStack => Runs.SelectMany(r => r.Result.InStackNanoseconds);
        public IEnumerable<long> Observer => Runs.SelectMany(r => r.Bursts).SelectMany(b => b.LatenciesNs);
        public bool IsStack => Receiver != AckReceiver.Kernel;
        public string Name => AckLatencyOrchestrator.Name(Receiver);
    }

    public static void Write(string markdownPath, string csvPath, AckLatencyResults results, MachineInfo machine, string commit, DateTimeOffset startedAt, TimeSpan elapsed)
    {
        var cases = results.Runs.GroupBy(r => (r.SegmentBytes, r.Burst, r.Receiver)).OrderByDescending(g => g.Key.SegmentBytes).ThenBy(g => g.Key.Burst).ThenBy(g => g.Key.Receiver)
            .Select(g => new Case(g.Key.Receiver, g.Key.Burst, g.Key.SegmentBytes, g.ToList())).ToList();
        var text = new MarkdownText();
        var plan = results.Plan;
        text.Line($"# ACK latency under bursts and after single events");
        text.Line();
        ReportSections.Regenerated(text, $"bench/run-ack-latency.sh{(plan.IsQuick ? " --quick" : "")}", commit, startedAt, elapsed);
        text.Line();
        text.Line($"After an idle pause the lab's server (a kernel socket) writes a burst of 16, 64 or 256 full segments at once; how long does");
        text.Line($"each segment wait for the ACK that covers it? Measured two ways: **in-stack**, the user-space stack's own record (from the");
        text.Line($"frame's capture timestamp to the clock reading right before the ACK that covers it is written), and by an **observer**, tcpdump");
        text.Line($"on the server's veth (from the segment leaving the server to the first client ACK whose number covers its end arriving");
        text.Line($"there). Receivers: the kernel, the stack with cumulative ACKs (its default) and with naive per-segment ACKs. Offloads are off,");
        text.Line($"so every segment is one frame. {plan.Rounds} bursts per case ({plan.Passes} connections of {plan.RoundsPerConnection}, receivers alternating);");
        text.Line($"percentiles are nearest-rank over all segments of all bursts of a case. The same bursts of sub-MSS segments (the server's");
        text.Line($"TCP_MAXSEG {string.Join(" and ", plan.ClampedMaxSegments)}: {plan.ClampedPasses * plan.RoundsPerConnection} bursts per case), and **single events after idle**, kernel against stack by the");
        text.Line($"observer: a frame injected on the server's veth (out-of-order data, a hole fill, a duplicate segment, an in-window RST) or a");
        text.Line($"pushed burst of {EventRequest.PushedSegments} × {EventRequest.PushedBytes}-byte segments, and how long the receiver takes to answer it.");
        text.Line();
        text.Line($"**These timings are noisy.** The machine is a shared 2-core VM (load average {machine.LoadAverageBefore} before the run,");
        text.Line($"{machine.LoadAverageAfter} after) and on a veth the server's kernel, the receiver and the observer share both cores. The p99 of each");
        text.Line($"connection is given as a range to show the spread; compare only with runs on the same machine. Counts are exact.");
        text.Line();
        WriteSummary(text, cases);
        AckTargets.Write(text, cases, results.Events);
        ReportSections.Machine(text, machine);
        WriteResults(text, cases);
        AckEventsReport.Write(text, results.Events);
        WriteChecks(text, cases, results);
        WriteLimits(text, cases);
        AckMaxima.Write(text, cases, results.Events);
        WriteMethod(text, plan);
        ReportFile.Write(markdownPath, text.ToString());
        ReportFile.Write(csvPath, Csv(cases));
        ReportFile.Write(EventsCsvPath(csvPath), AckEventsReport.Csv(results.Events));
    }

    /// <summary>Bullets of "**figure** (more): value", the form perf-results/README.md takes its headline figures from.</summary>
    private static void WriteSummary(MarkdownText text, IReadOnlyList<Case> cases)
    {
        text.Line($"## Summary");
        text.Line();
        string target = $"**Target: p99 ACK latency under a {TargetBurst}-segment burst below {TargetMicroseconds:0} µs by the external observer** (stack, cumulative ACKs)";
        var measured = cases.FirstOrDefault(c => c.Receiver == AckReceiver.StackCumulative && c.Burst == TargetBurst && c.IsFullSegment);
        if (measured is null)
        {
            text.Line($"- {target}: not measured, the plan has no {TargetBurst}-segment bursts.");
        }
        else
        {
            double p99 = LatencySummary.Of(measured.Observer).P99;
            string verdict = p99 < TargetMicroseconds
                ? string.Create(CultureInfo.InvariantCulture, $"**pass**, {TargetMicroseconds - p99:0.0} µs under")
                : string.Create(CultureInfo.InvariantCulture, $"**miss** by {p99 - TargetMicroseconds:0.0} µs ({p99 / TargetMicroseconds:0.0}× the target; what limits it is below)");
            text.Line(string.Create(CultureInfo.InvariantCulture, $"- {target}: {p99:0.0} µs, {verdict}."));
        }
        foreach (var group in cases.Where(c => c.Burst == TargetBurst && c.IsFullSegment))
        {
            var observer = LatencySummary.Of(group.Observer);
            string inStack = group.IsStack ? string.Create(CultureInfo.InvariantCulture, $"; in-stack p99 {LatencySummary.Of(group.InStack).P99:0.0} µs") : "";
            text.Line(string.Create(CultureInfo.InvariantCulture,
                $"- **{group.Name}, {TargetBurst}-segment bursts**: observer p50 {observer.P50:0.0} µs, p99 {observer.P99:0.0} µs{inStack}; " +
                $"ACKs per burst {Spread.MedianOf(group.Runs.SelectMany(r => r.Bursts), b => b.CoveringAcks):0}."));
        }
        text.Line();
    }

    private static void WriteResults(MarkdownText text, IReadOnlyList<Case> cases)
    {
        text.Line($"## ACK latency (µs)");
        text.Line();
        text.Line($"| burst (segments) | segment (bytes) | receiver | in-stack p50 | in-stack p99 | in-stack max | observer p50 | observer p99 | observer max | observer p99 per connection | samples in-stack / observer | ACKs per burst |");
        text.Line($"|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var group in cases)
        {
            var inStack = LatencySummary.Of(group.InStack);
            var observer = LatencySummary.Of(group.Observer);
            var perConnection = Spread.Of(group.Runs.Select(r => LatencySummary.Of(r.Bursts.SelectMany(b => b.LatenciesNs)).P99));
            text.Line($"| {group.Burst} | {group.SegmentBytes} | {group.Name} | {inStack.Cells} | {observer.Cells} | {perConnection.Format("0.0")} " +
                      $"| {(group.IsStack ? inStack.Count.ToString(CultureInfo.InvariantCulture) : "–")} / {observer.Count} | {Spread.MedianOf(group.Runs.SelectMany(r => r.Bursts), b => b.CoveringAcks):0} |");
        }
        text.Line();
        text.Line($"The kernel has no in-stack figure: only the observer sees it. ACKs per burst are the client ACKs that covered at least one");
        text.Line($"segment of the burst, as the observer saw them (median over bursts). Raw samples: `perf-results/data/ack-latency.csv`");
        text.Line($"(`{AckLatencySample.Header}`: per case and method, each whole microsecond with the number of segments whose latency rounds up to it; the in-stack samples are the engine's raw ones, rounded only here).");
        text.Line($"Sub-MSS segments are {string.Join(" and ", cases.Where(c => !c.IsFullSegment).Select(c => c.SegmentBytes).Distinct())} bytes: Linux counts the 12-byte timestamps option inside TCP_MAXSEG.");
        text.Line();
    }

    /// <summary>What proves the numbers measure what they say: whole bursts, sent at once, every segment covered, nothing lost by the observer.</summary>
    private static void WriteChecks(MarkdownText text, IReadOnlyList<Case> cases, AckLatencyResults results)
    {
        var plan = results.Plan;
        var rounds = results.Runs.SelectMany(r => r.Served.Rounds.Select(round => (r.Burst, r.SegmentBytes, Round: round))).ToList();
        bool backToBack = rounds.All(x => IsBackToBack(x.Burst, x.SegmentBytes, x.Round));
        text.Line($"## Checks: were the bursts bursts?");
        text.Line();
        text.Line($"The server read TCP_INFO right before and after each burst's single write(2). A burst left back to back when the");
        text.Line($"congestion window and the receiver's window both had room for all of it, nothing was in flight before it, and nothing was");
        text.Line($"left unsent when the write returned (so no segment waited for an ACK to be sent). " +
                  (backToBack ? $"**Every one of the {rounds.Count} bursts did.**" : $"**Not all did: {rounds.Count(x => !IsBackToBack(x.Burst, x.SegmentBytes, x.Round))} of {rounds.Count} bursts were held back** (see the table)."));
        text.Line($"\"Back to back\" is as fast as the server's kernel emits them: on a veth the sending CPU also runs the receiving side's");
        text.Line($"softirq, so the observer sees the segments about 1 µs apart in 64 KB chunks with a gap after each; the train column is");
        text.Line($"the time from a burst's first segment to its last on the server's veth.");
        text.Line();
        text.Line($"| burst (segments) | segment (bytes) | receiver | connections | bursts seen (expected) | bursts of exactly N segments | segments covered | retransmissions | cwnd before (min, segments) | receiver window before (min, segments) | unsent after the write (max, bytes) | train (µs, median) | in-stack samples = segments | ps_drop | delayed-ACK timer expiries |");
        text.Line($"|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|");
        foreach (var group in cases)
        {
            var bursts = group.Runs.SelectMany(r => r.Bursts).ToList();
            var served = group.Runs.SelectMany(r => r.Served.Rounds).ToList();
            string inStack = !group.IsStack ? "–"
                : group.Runs.All(r => r.Result.InStackCount == r.Result.InStackNanoseconds.Length && r.Result.InStackNanoseconds.Length == plan.RoundsPerConnection * group.Burst) ? "yes" : "**no**";
            text.Line($"| {group.Burst} | {group.SegmentBytes} | {group.Name} | {group.Runs.Count} | {bursts.Count} ({group.Runs.Count * plan.RoundsPerConnection}) | {bursts.Count(b => b.Segments == group.Burst)} " +
                      $"| {bursts.Sum(b => b.LatenciesNs.Count)} of {bursts.Sum(b => b.Segments)} | {group.Runs.Sum(r => r.Observed.Retransmissions)} " +
                      $"| {served.Min(r => r.CongestionWindowBefore)} | {served.Min(r => r.PeerWindowBefore) / group.SegmentBytes} | {served.Max(r => r.NotSentAfter)} " +
                      $"| {Spread.MedianOf(bursts, b => b.TrainNs / 1000.0):0} | {inStack} | {(group.IsStack ? group.Runs.Max(r => r.Result.Bursts!.KernelDrops).ToString(CultureInfo.InvariantCulture) : "–")} " +
                      $"| {(group.IsStack ? DelayedAckTimeouts(group).ToString(CultureInfo.InvariantCulture) : "–")} |");
        }
        text.Line();
        text.Line($"ps_drop is what the stack's capture ring lost (libpcap's count, worst connection); the kernel receiver has no ring. Delayed-ACK");
        text.Line($"timer expiries are the stack's own count over the bursts (TcpConnectionStats.DelayedAckTimeouts, summed over the case's");
        text.Line($"connections); the kernel's are not visible per connection from outside.");
        text.Line($"The observer: tcpdump captured {results.Capture.Captured:N0} frames, its filter received {results.Capture.ReceivedByFilter:N0}, the kernel dropped " +
                  $"{results.Capture.DroppedByKernel:N0}; {results.UnreadableFrames} frames did not parse; sequence gaps (frames the capture missed): {results.Runs.Sum(r => r.Observed.SequenceGaps)}.");
        text.Line($"The server's congestion control was {string.Join(", ", results.Runs.Select(r => r.Served.CongestionControl).Distinct())} on every connection, and its MSS what the");
        text.Line($"segment column says (checked on every connection: {string.Join(", ", results.Runs.Select(r => r.Served.Mss).Distinct().Order())} bytes).");
        text.Line();
    }

    private static bool IsBackToBack(int burst, int segmentBytes, BurstRound round) =>
        round.OneWrite && round.UnacknowledgedBefore == 0 && round.NotSentAfter == 0 && round.CongestionWindowBefore >= burst
        && round.PeerWindowBefore >= (long)burst * segmentBytes;

    /// <summary>The stack's delayed-ACK timer expiries over a case's bursts, all its connections.</summary>
    public static long DelayedAckTimeouts(Case group) => group.Runs.Sum(r => r.Result.Bursts?.DelayedAckTimeouts ?? 0);

    /// <summary>The events' samples go next to the bursts' CSV: ack-latency.csv → ack-latency-events.csv.</summary>
    public static string EventsCsvPath(string csvPath) =>
        Path.Combine(Path.GetDirectoryName(csvPath) ?? "", Path.GetFileNameWithoutExtension(csvPath) + "-events" + Path.GetExtension(csvPath));

    private static void WriteLimits(MarkdownText text, IReadOnlyList<Case> cases)
    {
        text.Line($"## What limits it");
        text.Line();
        text.Line($"The stack's share of a segment's delay splits into waiting for the poll loop to run and the turn that handles the segment;");
        text.Line($"the rest of what the observer sees lies outside the stack. Per stack case (medians over its connections or bursts):");
        text.Line();
        text.Line($"| burst (segments) | segment (bytes) | receiver | batches per burst | frames per batch | wait for the loop (µs) | turn until the ACK (µs) | the application's read and the flush after it (µs) | frames sent per burst | system calls per frame | outside the stack per segment, p50 / p99 (µs) |");
        text.Line($"|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var group in cases.Where(c => c.IsStack))
        {
            bool naive = group.Receiver == AckReceiver.StackNaive;
            var firstTurns = group.Runs.SelectMany(r => FirstTurnsOfBursts(r, group.Burst)).ToList();
            double batches = Spread.MedianOf(group.Runs, r => (double)r.Result.Turns.Count / r.Bursts.Count());
            double sent = Spread.MedianOf(group.Runs.SelectMany(r => r.Bursts), b => b.ClientFrames);
            double untilAck = Spread.MedianOf(firstTurns, t => UntilFirstAck(t.Turn, naive));
            double wait = Spread.MedianOf(firstTurns, t => t.FirstDelayNs / 1000.0 - UntilFirstAck(t.Turn, naive));
            string write = naive ? "in the turn" : Spread.MedianOf(group.Runs.SelectMany(r => r.Result.Turns), t => t.FlushMicroseconds).ToString("0.0", CultureInfo.InvariantCulture);
            var outside = LatencySummary.Of(group.Runs.SelectMany(OutsideTheStack));
            text.Line(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Burst} | {group.SegmentBytes} | {group.Name} | {batches:0.0} | {group.Burst / batches:0.0} | {wait:0.0} | {untilAck:0.0} | {write} | {sent:0.0} | {(batches + sent) / group.Burst:0.00} | {outside.P50:0.0} / {outside.P99:0.0} |"));
        }
        text.Line();
        text.Line($"Batches are the poll-loop turns that delivered burst data. For the first batch of each burst (medians): the turn until the");
        text.Line($"ACK is the part of its work, up to the application's read, that comes before the ACK covering its first segment: with");
        text.Line($"cumulative ACKs that ACK is written in the middle of the batch once {MaxSegmentsPerAck} segments have arrived (TcpConfig.MaxSegmentsPerAck),");
        text.Line($"so a batch of F frames counts min(F, {MaxSegmentsPerAck})/F of its work (the frames' share, taken as equal), and all of it when F ≤ {MaxSegmentsPerAck};");
        text.Line($"naive: one frame's share, its ACK written within. The wait for the loop is the first segment's in-stack delay minus that,");
        text.Line($"i.e. from the frame's arrival in the capture ring to the start of the turn that read it. The loop flushes the batch's ACKs");
        text.Line($"before the application's work (that write is inside the turn's work) and again after it, for what the read made due (a");
        text.Line($"window update, a drained pushed tail): the read and that second flush are the next column (median over batches).");
        text.Line();
        text.Line($"**A negative wait for the loop** (an earlier version of this report had −65.9 µs for busy-poll, 64-segment bursts) came from");
        text.Line($"subtracting the batch's whole work although the ACK covering its first segment had been written after its 16th segment,");
        text.Line($"in the middle of the turn: a busy-polling loop starts a turn as soon as the first frames land and reads 40 or more of them");
        text.Line($"in it, so the whole turn was longer than the first segment's delay. Counting only the share up to the 16th frame fixes it.");
        text.Line($"What may remain below zero is within the estimate's error (frames do not all cost the same; a frame can also land between");
        text.Line($"the turn's clock reading and its read of the ring, which only a busy-polling loop makes likely): a wait of about zero.");
        text.Line($"Frames sent per burst are the receiver's frames the observer saw during the burst and its idle gap: its ACK writes. System");
        text.Line($"calls per frame count one poll(2) wake-up per batch and one write(2) per frame sent: pcap_dispatch reads frames waiting in");
        text.Line($"the ring without a system call (strace, perf-results/live.md). Outside the stack is observer minus in-stack for the same");
        text.Line($"segment (the two lists pair up in sequence order): the frame's way from the server's veth into the client's capture ring, plus");
        text.Line($"the ACK's write(2) and way back through the veth.");
        text.Line();
        text.Line($"- **The loop has to run first.** Idle, the poll loop sleeps in poll(2); on a veth the server's CPU delivers the burst's frames");
        text.Line($"  into the capture ring itself, and the woken loop may have to wait for a core (two here, shared with the server's kernel and");
        text.Line($"  the observer). The stack-cumulative-busy-poll receiver (`--busy-poll`: it spins on the ring and never sleeps) trades a");
        text.Line($"  core for this wait: compare its rows with stack-cumulative's.");
        text.Line($"- **Cumulative ACKs wait for the batch.** A turn reads the frames waiting (up to 64), processes them, and writes an ACK as");
        text.Line($"  every 16th segment arrives (TcpConfig.MaxSegmentsPerAck) and one at the end of the batch, before the application's read: a");
        text.Line($"  segment waits for the frames after it in its group of 16. Per frame that is");
        text.Line($"  a checksum and two copies (capture ring into the receive buffer, receive buffer to the application) on a cold cache: the");
        text.Line($"  frame was written by the other core.");
        text.Line($"- **Naive ACKs serialize on write(2).** Each segment's ACK is written before the next segment is read, so the k-th segment");
        text.Line($"  of a batch waits for k writes; on a veth a write also runs the server's receive of that ACK in the writer's context.");
        text.Line($"- **Outside the stack.** The server's kernel hands frames to the client side in chunks (the gaps in the train), so a frame");
        text.Line($"  can wait there before it reaches the capture ring, for the kernel receiver as for the stack.");
        text.Line($"- Cache misses were not measured: this VM exposes no perf counters.");
        text.Line();
    }

    private static readonly int MaxSegmentsPerAck = new TcpConfig().MaxSegmentsPerAck;

    /// <summary>The part of a batch's work before the ACK covering its first segment (see the text of the limits section).</summary>
    private static double UntilFirstAck(TurnTiming turn, bool naive) =>
        naive ? turn.WorkMicroseconds / turn.Frames : turn.WorkMicroseconds * Math.Min(turn.Frames, MaxSegmentsPerAck) / turn.Frames;

    /// <summary>Observer minus in-stack delay of each burst segment of a stack connection; nothing when the two do not pair up (a segment lost or repeated).</summary>
    public static IEnumerable<long> OutsideTheStack(AckRun run)
    {
        var observer = run.Bursts.SelectMany(b => b.LatenciesNs).ToList();
        var inStack = run.Result.InStackNanoseconds;
        return observer.Count == inStack.Length ? observer.Zip(inStack, (seen, own) => seen - own) : [];
    }

    /// <summary>
    /// The first turn of each burst with its first segment's in-stack delay: the turns' frames and the in-stack samples pair
    /// up in order (nothing when they do not, a frame lost or repeated).
    /// </summary>
    private static IEnumerable<(TurnTiming Turn, long FirstDelayNs)> FirstTurnsOfBursts(AckRun run, int burst)
    {
        var samples = run.Result.InStackNanoseconds;
        if (run.Result.Turns.Sum(t => t.Frames) != samples.Length) yield break;
        int first = 0;
        foreach (var turn in run.Result.Turns)
        {
            if (first % burst == 0) yield return (turn, samples[first]);
            first += turn.Frames;
        }
    }

    private static void WriteMethod(MarkdownText text, AckLatencyPlan plan)
    {
        text.Line($"## Method");
        text.Line();
        text.Line($"`bench/run-ack-latency.sh` builds `bench/UserTcp.LiveBench` and runs its `ack` command as root. It brings up its own lab");
        text.Line($"(`usertcp lab`, a unique name, offloads off on both veth ends) and always removes it. In the server namespace: cubic instead");
        text.Line($"of this machine's default BBR (which paces), `net.ipv4.tcp_slow_start_after_idle=0` (Linux would otherwise restart from the");
        text.Line($"initial window after each pause), and `initcwnd {plan.InitialWindow}` on the route to the clients (cubic's HyStart leaves slow start");
        text.Line($"early on a veth, so a warm-up transfer alone does not open cwnd to 256 segments). The burst server (a role of the harness, kernel");
        text.Line($"sockets) serves one connection at a time: the receiver's request line, {plan.WarmupBytes / 1024 / 1024} MiB of warm-up (so the kernel receiver's window");
        text.Line($"has grown past the largest burst), then {plan.RoundsPerConnection} times a {plan.Idle.TotalMilliseconds:0} ms pause and one write(2) of N × {BurstRequest.FullSegmentBytes} bytes (sub-MSS: N × the clamped MSS), a last");
        text.Line($"pause, and a close. The pause is far longer than both receivers' 40 ms delayed-ACK timers, so every burst meets an idle receiver.");
        text.Line();
        text.Line($"Receivers, each a fresh process in the client namespace: the kernel, from {KernelClient.Address}/24 added to the client veth for its");
        text.Line($"runs only, with a 4 MiB initial receive buffer (`net.ipv4.tcp_rmem` in the client namespace, autotuning on; from the default");
        text.Line($"128 KiB autotuning left the window under 256 segments after the warm-up in about one connection in six); the stack on");
        text.Line($"198.18.0.2 (4 MiB receive buffer) with `--ack-policy cumulative` and `naive`, which first warms its JIT up with four");
        text.Line($"downloads of `{plan.JitWarmupPath}` from nginx under the same policy (as in perf-results/live.md). The in-stack figure is");
        text.Line($"`TcpStack.AckLatency` with its raw samples kept: for every data segment, from its arrival (the kernel's capture");
        text.Line($"timestamp of the frame) to the clock reading right before the flush whose ACK covers it (cumulative: after the batch and");
        text.Line($"the application's read; naive: right after the segment), over the bursts only (from half a pause after the warm-up");
        text.Line($"transfer to the server's FIN).");
        text.Line();
        text.Line($"The observer is tcpdump on the server's veth end in the server namespace (`--time-stamp-precision nano -B 65536`, filter");
        text.Line($"`tcp portrange {BurstRequest.FullSegmentPort}-{EventRequest.Port}`, not in immediate mode so that it wakes once per ring block, not per frame, and competes less for the");
        text.Line($"cores); the capture is read by SharpPcap and parsed by the project's wire layer. For");
        text.Line($"each server data segment: the time from its transmission to the first client ACK whose acknowledgment number covers its");
        text.Line($"end (SACK blocks do not count); a segment sent again before it was covered is timed from its last transmission, and data");
        text.Line($"repeated after it was covered is only counted as a retransmission; sequence numbers compare modulo 2^32. A data segment");
        text.Line($"more than {plan.Idle.TotalMilliseconds / 2:0} ms after the previous new data starts a new burst; the first group of each connection (the");
        text.Line($"warm-up) is left out. Both clocks are the same kernel's, so observer and in-stack delays are comparable, but the in-stack");
        text.Line($"span is inside the observer's: it starts when the frame reached the client's capture ring and ends before the ACK's write.");
        text.Line();
        ReportSections.Reproduce(text,
            "bench/run-ack-latency.sh           # full run (root); rewrites this file and perf-results/data/ack-latency.csv",
            "bench/run-ack-latency.sh --quick   # one connection per case, 3 bursts, fewer sub-MSS cases and events: what the test suite runs");
    }

    private static string Csv(IReadOnlyList<Case> cases)
    {
        var csv = new StringBuilder().Append(AckLatencySample.Header).Append('\n');
        foreach (var group in cases)
        {
            foreach (string row in AckLatencySample.Rows(group.Name, group.Burst, group.SegmentBytes, "in-stack", group.InStack)) csv.Append(row).Append('\n');
            foreach (string row in AckLatencySample.Rows(group.Name, group.Burst, group.SegmentBytes, "observer", group.Observer)) csv.Append(row).Append('\n');
        }
        return csv.ToString();
    }
}
