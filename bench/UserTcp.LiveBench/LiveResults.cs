using System.Globalization;

namespace UserTcp.LiveBench;

internal sealed record LiveResults(BenchPlan Plan, IReadOnlyList<DownloadCase> Downloads, RunResult Recording, long RecordedFrames,
                                   IReadOnlyList<ReplayCase> Replays, IReadOnlyList<SendCase> Sends);
