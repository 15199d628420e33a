using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;

namespace UserTcp.LiveBench.Results;

internal sealed record LiveResults(LivePlan Plan, IReadOnlyList<DownloadCase> Downloads, RunResult Recording, long RecordedFrames,
                                   IReadOnlyList<ReplayCase> Replays, IReadOnlyList<SendCase> Sends);
