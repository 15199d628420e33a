namespace UserTcp.LiveBench.Results;

/// <summary>
/// Where both clients of a pair put the body: /dev/null (the headline: write(2) returns at once, so the figures are the
/// network stacks') or a file in tmpfs (the body kept and SHA-256-checked; the copy into the page cache then counts too).
/// </summary>
internal enum BodySink { DevNull, TmpfsFile }
