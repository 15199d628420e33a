namespace UserTcp.Fast.Tcp;

/// <summary>What <see cref="TimeWaitTable.OnSegment"/> made of a segment.</summary>
internal enum TimeWaitVerdict
{
    /// <summary>No TIME-WAIT entry holds the segment's four-tuple.</summary>
    NoEntry,
    /// <summary>The entry dealt with it (dropped, or an ACK queued).</summary>
    Handled,
    /// <summary>A new SYN that may reopen the four-tuple (RFC 1122 §4.2.2.13, RFC 6191): the entry is gone, a listener takes it.</summary>
    Reopen,
}
