using UserTcp.LiveBench.Measurement;

namespace UserTcp.LiveBench.Results;

internal sealed record DownloadCase(bool Offload, long FileBytes, CaseRuns<RunResult> Measured, long ServerResets, long ServerRetransmissions);
