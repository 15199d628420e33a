namespace UserTcp.Fast.Wire;

/// <summary>RFC 7323 §3: the timestamps option's two values.</summary>
public readonly record struct TcpTimestamps(uint Value, uint EchoReply);
