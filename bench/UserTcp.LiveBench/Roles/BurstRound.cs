namespace UserTcp.LiveBench.Roles;

/// <summary>
/// The server's own view of one burst, from TCP_INFO around its write: what proves the burst left back to back (the
/// congestion window and the peer's window had room for all of it, nothing was in flight before, nothing was left
/// unsent when the write returned).
/// </summary>
internal sealed record BurstRound(int CongestionWindowBefore, long PeerWindowBefore, int UnacknowledgedBefore, long NotSentAfter, bool OneWrite, double WriteMicroseconds);
