using System.Globalization;

namespace UserTcp.LiveBench;

internal sealed record ReplayCase(int? FramesPerSecond, long Frames, CaseRuns<ReplayRun> Measured);
