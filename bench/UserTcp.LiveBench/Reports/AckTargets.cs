using System.Globalization;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Results;
using UserTcp.LiveBench.Roles;

namespace UserTcp.LiveBench.Reports;

/// <summary>
/// The targets section of perf-results/ack-latency.md (issue 10, item 5), one bullet per target with the numbers and
/// <b>met</b> or <b>missed</b>: single events after idle (stack p50 at most 1.5× the kernel's, each kind), bursts (stack
/// p99 at most the kernel's; stretch: p50 at most half), and no delayed-ACK timer expiry in any burst run.
/// </summary>
internal static class AckTargets
{
    private const double EventRatio = 1.5;

    public static void Write(MarkdownText text, IReadOnlyList<AckLatencyReport.Case> cases, IReadOnlyList<EventRun> events)
    {
        text.Line($"## Targets");
        text.Line();
        text.Line($"The stack is the default receiver (stack-cumulative: cumulative ACKs, sleeping in poll(2)); after it, the same figure for the");
        text.Line($"stack busy-polling (`--poll busy`: it never sleeps, so no wake-up stands between a frame and its turn, at the price of a core,");
        text.Line($"README \"Poll modes\"). Every figure is the observer's.");
        text.Line();
        foreach (var kind in Enum.GetValues<EventKind>())
        {
            var stack = AckEventsReport.Summary(AckEventsReport.Answers(events, AckReceiver.StackCumulative, kind));
            var kernel = AckEventsReport.Summary(AckEventsReport.Answers(events, AckReceiver.Kernel, kind));
            string figure = $"- **Single event after idle, {EventRequest.Name(kind)}** (stack p50 ≤ {EventRatio}× the kernel's)";
            if (stack.Count == 0 || kernel.Count == 0)
            {
                text.Line($"{figure}: not measured.");
                continue;
            }
            var busy = AckEventsReport.Summary(AckEventsReport.Answers(events, AckReceiver.StackCumulativeBusyPoll, kind));
            string spinning = busy.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
                $"; busy-polling, stack {busy.P50:0.0} µs ({busy.P50 / kernel.P50:0.00}×), {Verdict(busy.P50 <= EventRatio * kernel.P50)}");
            text.Line(string.Create(CultureInfo.InvariantCulture,
                $"{figure}: stack {stack.P50:0.0} µs, kernel {kernel.P50:0.0} µs ({stack.P50 / kernel.P50:0.00}×), **{Verdict(stack.P50 <= EventRatio * kernel.P50)}**{spinning}."));
        }
        foreach (var group in cases.Where(c => c.Receiver == AckReceiver.StackCumulative))
        {
            var kernelCase = cases.FirstOrDefault(c => c.Receiver == AckReceiver.Kernel && c.Burst == group.Burst && c.SegmentBytes == group.SegmentBytes);
            if (kernelCase is null) continue;
            var stack = LatencySummary.Of(group.Observer);
            var kernel = LatencySummary.Of(kernelCase.Observer);
            var busyCase = cases.FirstOrDefault(c => c.Receiver == AckReceiver.StackCumulativeBusyPoll && c.Burst == group.Burst && c.SegmentBytes == group.SegmentBytes);
            string spinning = "";
            if (busyCase is not null)
            {
                var busy = LatencySummary.Of(busyCase.Observer);
                spinning = string.Create(CultureInfo.InvariantCulture,
                    $"; busy-polling, p99 {busy.P99:0.0} µs, {Verdict(busy.P99 <= kernel.P99)}, p50 {busy.P50:0.0} µs, stretch {Verdict(busy.P50 <= kernel.P50 / 2)}");
            }
            text.Line(string.Create(CultureInfo.InvariantCulture,
                $"- **Bursts of {group.Burst} × {group.SegmentBytes} B** (stack p99 ≤ kernel p99, stretch p50 ≤ half the kernel's): p99 stack {stack.P99:0.0} µs, kernel {kernel.P99:0.0} µs, " +
                $"**{Verdict(stack.P99 <= kernel.P99)}**; stretch: p50 {stack.P50:0.0} against {kernel.P50:0.0} µs, {Verdict(stack.P50 <= kernel.P50 / 2)}{spinning}."));
        }
        var stackCases = cases.Where(c => c.IsStack).ToList();
        long expiries = stackCases.Sum(AckLatencyReport.DelayedAckTimeouts);
        var withExpiries = stackCases.Where(c => AckLatencyReport.DelayedAckTimeouts(c) > 0)
            .Select(c => $"{c.Name} {c.Burst} × {c.SegmentBytes} B: {AckLatencyReport.DelayedAckTimeouts(c)}").ToList();
        text.Line($"- **Delayed-ACK timer expiries in the burst runs** (0 in every run): {expiries} over {stackCases.Sum(c => c.Runs.Count)} stack connections" +
                  $"{(withExpiries.Count > 0 ? $" ({string.Join("; ", withExpiries)})" : "")}, **{Verdict(expiries == 0)}** (per case in the checks table; the kernel's are not counted).");
        text.Line();
    }

    private static string Verdict(bool met) => met ? "met" : "missed";
}
