using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;

namespace UserTcp.LiveBench.Results;

internal sealed record AckLatencyResults(AckLatencyPlan Plan, IReadOnlyList<AckRun> Runs, CaptureCounts Capture, int UnreadableFrames);
