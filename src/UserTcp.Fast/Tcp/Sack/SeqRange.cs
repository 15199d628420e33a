namespace UserTcp.Fast.Tcp.Sack;

/// <summary>Sequence range [Start, End).</summary>
internal readonly record struct SeqRange(SeqNum Start, SeqNum End)
{
    public int Length => End - Start;
}
