namespace UserTcp.Fast.Wire;

/// <summary>One SACK block: the sequence numbers of the first byte and of the byte after the last (RFC 2018 §3).</summary>
public readonly record struct SackBlock(uint Left, uint Right);
