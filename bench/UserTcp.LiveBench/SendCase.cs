using System.Globalization;

namespace UserTcp.LiveBench;

internal sealed record SendCase(int Payload, CaseRuns<RunResult> Measured);
