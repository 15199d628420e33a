using System.Globalization;
using System.Text;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;
using UserTcp.LiveBench.Results;
using UserTcp.LiveBench.Roles;

namespace UserTcp.LiveBench.Reports;

/// <summary>The single-events section of perf-results/ack-latency.md and its CSV (receiver,event,latency_us,dsack,as_expected).</summary>
internal static class AckEventsReport
{
    public const string CsvHeader = "receiver,event,latency_us,dsack,as_expected";

    /// <summary>Linux's answers measured by hand earlier on this VM (LAB-FACTS.md), in µs, for comparison.</summary>
    private static string ByHand(EventKind kind) => kind switch
    {
        EventKind.OutOfOrder => "30",
        EventKind.HoleFill => "40",
        EventKind.Duplicate => "50 (D-SACK)",
        EventKind.InWindowReset => "30",
        _ => "6–150 (last of 32 full segments)",
    };

    /// <summary>Every answer of one receiver to one kind of event.</summary>
    public static List<EventAnswer> Answers(IEnumerable<EventRun> events, AckReceiver receiver, EventKind kind) =>
        events.Where(e => e.Receiver == receiver).SelectMany(e => e.Connections).SelectMany(c => c.Answers).Where(a => a.Probe.Kind == kind).ToList();

    public static LatencySummary Summary(IEnumerable<EventAnswer> answers) => LatencySummary.Of(answers.Where(a => a.LatencyNs is not null).Select(a => a.LatencyNs!.Value));

    public static void Write(MarkdownText text, IReadOnlyList<EventRun> events)
    {
        text.Line($"## Single events after idle");
        text.Line();
        if (events.Count == 0)
        {
            text.Line("Not measured in this run.");
            text.Line();
            return;
        }
        var receivers = events.Select(e => e.Receiver).Distinct().Order().ToList();
        text.Line($"One connection per event to the event server (a kernel socket in the server namespace, port {EventRequest.Port}): {EventRequest.WarmupSegments} full");
        text.Line($"segments of warm-up data, the idle pause, then one event. An injector on the server's veth (libpcap, in the server namespace)");
        text.Line($"follows the connection's frames and sends one frame built with the project's wire layer from the server's latest one:");
        text.Line($"ACK = the client's next sequence number, the timestamps option with the server's latest TSval (so PAWS accepts it) and the");
        text.Line($"client's latest as TSecr, checksums computed, and a marker IP ID by which the observer finds it. **out-of-order**: {BurstRequest.FullSegmentBytes} bytes at");
        text.Line($"SND.NXT + {BurstRequest.FullSegmentBytes} (never sent by the server; the connection is aborted after the answer); **hole-fill**: the same, then after");
        text.Line($"another pause the hole [SND.NXT, +{BurstRequest.FullSegmentBytes}) (the receiver then acknowledges bytes the server never sent: aborted too; its first");
        text.Line($"probe counts as one more out-of-order sample); **duplicate**: the last {BurstRequest.FullSegmentBytes} bytes the server sent, the same bytes again;");
        text.Line($"**in-window-rst**: a RST at RCV.NXT + {EventRequest.ResetOffset}, which RFC 5961 §3.2 answers with a challenge ACK; **pushed-sub-mss**: no injection,");
        text.Line($"the server writes {EventRequest.PushedSegments} × {EventRequest.PushedBytes} bytes with TCP_NODELAY (one segment each, PSH) and the event is the last segment.");
        text.Line($"The latency is the observer's, from the probe passing the server's veth to the receiver's first frame on that connection");
        text.Line($"after it (pushed: its first ACK covering the last segment). An answer is as expected when it acknowledges RCV.NXT (out-of-order,");
        text.Line($"challenge ACK), the end of the probe (duplicate, pushed) or the end of the out-of-order data after the hole (hole fill).");
        text.Line($"Receivers: {string.Join(" and ", receivers.Select(AckLatencyOrchestrator.Name))} ({events.Count / receivers.Count} process(es) each, alternating, every event kind");
        text.Line($"{events[0].Connections.Count / Enum.GetValues<EventKind>().Length} times per process, kinds interleaved).");
        text.Line();
        text.Line($"| event | receiver | samples | answered as expected | observer p50 (µs) | observer max (µs) | D-SACK in the answer | Linux by hand earlier (µs) |");
        text.Line($"|---|---|--:|--:|--:|--:|--:|--:|");
        foreach (var kind in Enum.GetValues<EventKind>())
        foreach (var receiver in receivers)
        {
            var answers = Answers(events, receiver, kind);
            var summary = Summary(answers);
            string dsack = kind == EventKind.Duplicate ? $"{answers.Count(a => a.DSack)} of {answers.Count}" : "–";
            text.Line(string.Create(CultureInfo.InvariantCulture,
                $"| {EventRequest.Name(kind)} | {AckLatencyOrchestrator.Name(receiver)} | {summary.Count} of {answers.Count} | {answers.Count(a => a.AsExpected)} " +
                $"| {Cell(summary.P50)} | {Cell(summary.Max)} | {dsack} | {(receiver == AckReceiver.Kernel ? ByHand(kind) : "–")} |"));
        }
        text.Line();
        var stack = events.Where(e => e.Result.Counters is not null).Select(e => e.Result.Counters!).ToList();
        if (stack.Count > 0)
        {
            text.Line($"The stack's own counters over its event connections ({stack.Count} process(es)): challenge ACKs sent {stack.Sum(c => c.ChallengeAcksSent)},");
            text.Line($"duplicate segments {stack.Sum(c => c.DuplicateSegments)}, out-of-order segments {stack.Sum(c => c.OutOfOrderSegments)}, delayed-ACK timer expiries");
            text.Line($"{stack.Sum(c => c.DelayedAckTimeouts)} (the warm-up data and the requests count too). Samples: `{ResultsReadme.AckLatencyData.Replace(".csv", "-events.csv", StringComparison.Ordinal)}` (`{CsvHeader}`).");
            text.Line();
        }
    }

    private static string Cell(double value) => double.IsNaN(value) ? "–" : value.ToString("0.0", CultureInfo.InvariantCulture);

    public static string Csv(IReadOnlyList<EventRun> events)
    {
        var csv = new StringBuilder().Append(CsvHeader).Append('\n');
        foreach (var run in events)
        foreach (var answer in run.Connections.SelectMany(c => c.Answers).Where(a => a.LatencyNs is not null))
            csv.Append(CultureInfo.InvariantCulture,
                $"{AckLatencyOrchestrator.Name(run.Receiver)},{EventRequest.Name(answer.Probe.Kind)},{answer.LatencyNs!.Value / 1000.0:0.000},{(answer.DSack ? 1 : 0)},{(answer.AsExpected ? 1 : 0)}").Append('\n');
        return csv.ToString();
    }
}
