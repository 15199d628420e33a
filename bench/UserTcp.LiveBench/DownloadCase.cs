using System.Globalization;

namespace UserTcp.LiveBench;

internal sealed record DownloadCase(bool Offload, long FileBytes, CaseRuns<RunResult> Measured, long ServerResets, long ServerRetransmissions);
