namespace UserTcp.LiveBench.Roles;

/// <summary>
/// One poll-loop turn: the frames it received, its wall time from its start to the application's work (receive, protocol
/// work, the naive policy's ACK writes, the cumulative ACK's write, which the loop flushes before the application's work),
/// and from there to the end of the turn (the application's read and the flush of what it made due).
/// </summary>
internal sealed record TurnTiming(int Frames, double WorkMicroseconds, double FlushMicroseconds);
