using UserTcp.LiveBench.Measurement;

namespace UserTcp.LiveBench.Results;

internal sealed record ReplayRun(RunResult Stack, ReplayOutcome Replayer);
