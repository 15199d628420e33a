namespace UserTcp.LiveBench.Roles;

/// <summary>
/// One poll-loop turn: the frames it received, its wall time from its start to the application's read (receive, protocol
/// work, the naive policy's ACK writes, the read), and from there to the end of its flush (the cumulative ACK's write).
/// </summary>
internal sealed record TurnTiming(int Frames, double WorkMicroseconds, double FlushMicroseconds);
