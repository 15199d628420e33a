using System.Globalization;

namespace UserTcp.LiveBench;

internal sealed record ReplayRun(RunResult Stack, ReplayOutcome Replayer);
