using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;

namespace UserTcp.LiveBench.Results;

/// <summary>Everything one ACK-latency run measured: the burst connections, the event receivers, and the observer's own counts.</summary>
internal sealed record AckLatencyResults(AckLatencyPlan Plan, IReadOnlyList<AckRun> Runs, CaptureCounts Capture, int UnreadableFrames, IReadOnlyList<EventRun> Events);
