namespace UserTcp.LiveBench.Results;

/// <summary>Every timed run of one case, and one more run under strace with its system call counts.</summary>
internal sealed record CaseRuns<TRun>(IReadOnlyList<TRun> Runs, TRun Traced, IReadOnlyDictionary<string, long> Syscalls);
