using UserTcp.LiveBench.Measurement;

namespace UserTcp.LiveBench.Results;

internal sealed record SendCase(int Payload, CaseRuns<RunResult> Measured);
