using System.Globalization;
using UserTcp.Fast.Tcp;
using UserTcp.LiveBench.Orchestration;
using UserTcp.LiveBench.Results;
using UserTcp.LiveBench.Roles;

namespace UserTcp.LiveBench.Reports;

/// <summary>
/// Where each case's maximum came from, read from the data: which connection, burst and segment, its in-stack share and
/// the rest, the batch that held it, and the delayed-ACK timer expiries on its connection; then a reading of those numbers.
/// </summary>
internal static class AckMaxima
{
    /// <summary>Above this an ACK can only have come from a delayed-ACK timer (40 ms in Linux and in the stack): nothing else here takes milliseconds.</summary>
    private const double TimerMicroseconds = 30_000;
    private static readonly int MaxSegmentsPerAck = new TcpConfig().MaxSegmentsPerAck;

    private sealed record Maximum(AckRun Run, int BurstIndex, int Segment, int Segments, double ObserverUs, double? InStackUs, TurnTiming? Turn, int TurnIndex, int PositionInTurn, double TrainUs);

    public static void Write(MarkdownText text, IReadOnlyList<AckLatencyReport.Case> cases, IReadOnlyList<EventRun> events)
    {
        text.Line($"## Where the maxima come from");
        text.Line();
        text.Line($"Each case's largest observer delay, found in the data: the connection (pass), the burst and the segment's place in it, the");
        text.Line($"stack's in-stack delay for the same segment and the rest (outside the stack), the batch that read it (its place among the");
        text.Line($"burst's batches, its frames, the segment's place in it), the burst's train, and the delayed-ACK timer expiries the stack");
        text.Line($"counted on that connection. The reading follows from those numbers: a delay above {TimerMicroseconds / 1000:0} ms is a delayed-ACK timer; otherwise");
        text.Line($"the larger of the in-stack and outside shares says where the time went.");
        text.Line();
        text.Line($"| burst (segments) | segment (bytes) | receiver | max (µs) | pass, burst, segment | in-stack / outside (µs) | batch: turn of burst, frames, place | train (µs) | timer expiries on the connection | reading |");
        text.Line($"|--:|--:|---|--:|---|--:|---|--:|--:|---|");
        foreach (var group in cases)
        {
            var max = Find(group);
            if (max is null) continue;
            string shares = max.InStackUs is { } own ? string.Create(CultureInfo.InvariantCulture, $"{own:0.0} / {max.ObserverUs - own:0.0}") : "–";
            string batch = max.Turn is { } turn ? $"{max.TurnIndex + 1}, {turn.Frames}, {max.PositionInTurn + 1}" : "–";
            long expiries = max.Run.Result.Bursts?.DelayedAckTimeouts ?? -1;
            text.Line(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Burst} | {group.SegmentBytes} | {group.Name} | {max.ObserverUs:0.0} | {max.Run.Pass + 1}, {max.BurstIndex + 1}, {max.Segment + 1} of {max.Segments} | {shares} | {batch} | {max.TrainUs:0} " +
                $"| {(expiries < 0 ? "–" : expiries.ToString(CultureInfo.InvariantCulture))} | {Reading(max)} |"));
        }
        text.Line();
        WriteImpossible(text, cases);
        if (events.Count > 0)
        {
            text.Line($"The single events' maxima (the events table) are single answers: a delay above {TimerMicroseconds / 1000:0} ms there would be a delayed ACK");
            string timers = string.Join(", ", Enum.GetValues<EventKind>().SelectMany(kind => events.Select(e => e.Receiver).Distinct()
                .Select(receiver => (kind, receiver, AckEventsReport.Summary(AckEventsReport.Answers(events, receiver, kind)).Max)))
                .Where(x => x.Max >= TimerMicroseconds).Select(x => $"{EventRequest.Name(x.kind)} by {AckLatencyOrchestrator.Name(x.receiver)}"));
            text.Line($"where an immediate one is due; {(timers.Length == 0 ? "there was none" : $"there were: {timers}")}. The observer alone cannot split an event's");
            text.Line($"delay into the stack's share and the rest (there is no in-stack figure per event); maxima far above their median are");
            string outliers = string.Join("; ", Enum.GetValues<EventKind>().SelectMany(kind => events.Select(e => e.Receiver).Distinct()
                .Select(receiver => (kind, receiver, Summary: AckEventsReport.Summary(AckEventsReport.Answers(events, receiver, kind)))))
                .Where(x => x.Summary.Max > 5 * x.Summary.P50)
                .Select(x => string.Create(CultureInfo.InvariantCulture, $"{EventRequest.Name(x.kind)} by {AckLatencyOrchestrator.Name(x.receiver)}: {x.Summary.Max:0} µs against a median of {x.Summary.P50:0}")));
            text.Line($"single answers among {(outliers.Length == 0 ? "none here (no maximum above 5× its median)" : $"the others ({outliers}): one late wake-up or a core taken by the server's kernel or the observer, as in the bursts above")}.");
            text.Line();
        }
    }

    /// <summary>
    /// In-stack delays longer than the observer's for the same segment (a negative "outside the stack"): the observer's span
    /// contains the in-stack one, so these are in-stack timestamp errors; what the data shows about them.
    /// </summary>
    private static void WriteImpossible(MarkdownText text, IReadOnlyList<AckLatencyReport.Case> cases)
    {
        var found = cases.Where(c => c.IsStack).Select(c =>
        {
            var negative = c.Runs.SelectMany(r => AckLatencyReport.OutsideTheStack(r).Zip(r.Result.InStackNanoseconds).Select((x, i) => (x.First, x.Second, Place: i % c.Burst)))
                .Where(x => x.First < 0).ToList();
            int identical = negative.Count == 0 ? 0 : negative.GroupBy(x => x.Second).Max(g => g.Count());
            long outOfOrder = c.Runs.Sum(r => r.Result.Bursts?.OutOfOrderSegments ?? 0);
            return (c, Negative: negative.Count, Identical: identical, Total: c.InStack.Count(), OutOfOrder: outOfOrder,
                    Places: negative.Count == 0 ? 0 : negative.Count(x => x.Place % 64 >= 32), Worst: negative.Count == 0 ? 0 : -negative.Min(x => x.First) / 1000.0);
        }).Where(x => x.Negative > 0).ToList();
        text.Line($"**Negative \"outside the stack\"** (an in-stack delay longer than the observer's for the same segment, impossible since the");
        if (found.Count == 0)
        {
            text.Line($"observer's span contains the in-stack one): none in this run.");
            text.Line();
            return;
        }
        text.Line($"observer's span contains the in-stack one): {string.Join("; ", found.Select(x => string.Create(CultureInfo.InvariantCulture,
            $"{x.c.Name}, {x.c.Burst} × {x.c.SegmentBytes} B: {x.Negative} of {x.Total} segments (by up to {x.Worst:0.0} µs), {x.Places} of them in the second half of a 64-frame batch, at most {x.Identical} with one and the same delay, {x.OutOfOrder} received out of order")))}.");
        text.Line($"The stack received every burst in order (the out-of-order counts), so observer and in-stack samples pair up right and these");
        text.Line($"are in-stack timestamp errors. PcapDevice reads the realtime and monotonic clocks once when a receive call starts and dates");
        text.Line($"each frame by its capture time's offset from that reading, so a frame captured after it (while the call reads the ring, or");
        text.Line($"after the loop lost its core inside the call) is dated after it. (An earlier version clamped such a frame to the call's");
        text.Line($"start, which once put 4.3 ms on a whole busy-poll batch.) What remains negative is the clocks' own error: the realtime and");
        text.Line($"monotonic readings are two calls apart, and the capture timestamp is the kernel's, taken before the frame is in the ring.");
        text.Line();
    }

    private static Maximum? Find(AckLatencyReport.Case group)
    {
        Maximum? best = null;
        foreach (var run in group.Runs)
        {
            var bursts = run.Bursts.ToList();
            var inStack = run.Result.InStackNanoseconds;
            bool paired = inStack.Length == bursts.Sum(b => b.LatenciesNs.Count);
            int flat = 0;
            for (int b = 0; b < bursts.Count; b++)
            {
                var latencies = bursts[b].LatenciesNs;
                for (int i = 0; i < latencies.Count; i++, flat++)
                {
                    double us = latencies[i] / 1000.0;
                    if (best is not null && us <= best.ObserverUs) continue;
                    var (turn, turnIndex, position) = TurnOf(run, flat, b * group.Burst);
                    best = new Maximum(run, b, i, bursts[b].Segments, us, paired && group.IsStack ? inStack[flat] / 1000.0 : null, turn, turnIndex, position, bursts[b].TrainNs / 1000.0);
                }
            }
        }
        return best;
    }

    /// <summary>The batch that read the segment at <paramref name="flat"/> (its index over all bursts), its index among the batches of the burst that starts at <paramref name="burstStart"/>, and the segment's place in it.</summary>
    private static (TurnTiming? Turn, int TurnIndex, int Position) TurnOf(AckRun run, int flat, int burstStart)
    {
        var turns = run.Result.Turns;
        if (turns.Sum(t => t.Frames) != run.Result.InStackNanoseconds.Length) return (null, 0, 0);
        int first = 0, ofBurst = 0;
        foreach (var turn in turns)
        {
            if (flat < first + turn.Frames) return (turn, ofBurst, flat - first);
            first += turn.Frames;
            if (first > burstStart) ofBurst++; // this batch read some of the burst before the segment's batch
        }
        return (null, 0, 0);
    }

    private static string Reading(Maximum max)
    {
        if (max.ObserverUs >= TimerMicroseconds)
            return (max.Run.Result.Bursts?.DelayedAckTimeouts ?? 0) > 0 ? "a delayed-ACK timer expiry (the stack counted one on this connection)" : "a delayed-ACK timer (the 40 ms timer's size)";
        bool last = max.Segment == max.Segments - 1;
        string place = max.Segment == 0 ? "the burst's first segment" : last ? "the burst's last segment" : "a segment inside the burst";
        if (max.InStackUs is not { } own)
            return max.ObserverUs <= max.TrainUs * 1.5
                ? $"{place}: the kernel's ACK came while the server was still sending the train ({max.TrainUs:0} µs); the ACK waits for the receiving softirq, which shares the cores with the sender"
                : $"{place}: beyond the train: the receiving side ran late (two cores shared by the server's kernel, the receiver and the observer)";
        double outside = max.ObserverUs - own;
        if (outside < 0)
            return string.Create(CultureInfo.InvariantCulture, $"{place}: its in-stack delay ({own:0} µs) is longer than the observer's, which cannot be: an in-stack timestamp error (below); the observer's {max.ObserverUs:0} µs stands");
        if (outside > own)
            return string.Create(CultureInfo.InvariantCulture,
                $"{place}, mostly outside the stack ({outside:0} µs): the frame's way into the capture ring or the ACK's way back (the server's kernel hands frames over in chunks; the cores are shared)");
        if (max.Turn is not { } turn) return $"{place}, in the stack ({own:0} µs); its batch is not known (the batches and samples do not pair up)";
        double work = WorkBeforeAck(turn, max.PositionInTurn, max.Run.Receiver == AckReceiver.StackNaive);
        double wait = own - work;
        string before = max.TurnIndex > 0 ? $"it was read by the burst's batch {max.TurnIndex + 1}, so the wait includes the earlier batches; " : "";
        return wait > work
            ? string.Create(CultureInfo.InvariantCulture,
                $"{place}, in the stack: {before}{wait:0} µs before the turn that read it started (a poll(2) wake-up takes 50–150 µs on this VM; more is waiting for a core), then {work:0} µs of that turn's work before its ACK")
            : string.Create(CultureInfo.InvariantCulture,
                $"{place}, in the stack: {before}{work:0} µs of its batch's work ({turn.Frames} frames) before its ACK, after {wait:0} µs before the turn started");
    }

    /// <summary>
    /// The share of a batch's work (to the application's read) before the ACK covering the segment at <paramref name="position"/>:
    /// cumulative ACKs go out after every 16th segment of a batch and at its end, naive ones after each segment (frames taken as equal).
    /// </summary>
    private static double WorkBeforeAck(TurnTiming turn, int position, bool naive)
    {
        int perAck = naive ? 1 : MaxSegmentsPerAck;
        int acked = Math.Min(turn.Frames, (position / perAck + 1) * perAck);
        return turn.WorkMicroseconds * acked / turn.Frames;
    }
}
