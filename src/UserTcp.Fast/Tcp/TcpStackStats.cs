namespace UserTcp.Fast.Tcp;

/// <summary>Counters of the TCP layer as a whole. Only the stack's thread writes them.</summary>
internal sealed class TcpStackStats
{
    public long SegmentsReceived;
    /// <summary>Segments for no connection and no listener (answered with a RST unless they were one, RFC 9293 §3.10.7.1).</summary>
    public long SegmentsForNoConnection;
    public long ResetsSent;
    /// <summary>RSTs we owed but could not queue (the queue is bounded).</summary>
    public long ResetsDropped;
    public long ConnectionsOpened;
    public long ConnectionsAccepted;
    public long SynsDroppedByBacklog;
    /// <summary>Connections that closed without TIME-WAIT because the table was full (Linux TCPTimeWaitOverflow).</summary>
    public long TimeWaitOverflows;
    /// <summary>New SYNs that reopened a four-tuple in TIME-WAIT (RFC 6191).</summary>
    public long TimeWaitReopened;
}
