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
    /// <summary>RSTs for segments that matched nothing, not sent: <see cref="TcpConfig.ResetsPerSecond"/> was spent.</summary>
    public long ResetsRateLimited;
    public long ConnectionsOpened;
    public long ConnectionsAccepted;
    /// <summary>SYNs a listener dropped: its accept queue was full, or its SYN queue without cookies (Linux ListenDrops).</summary>
    public long SynsDroppedByBacklog;
    /// <summary>Handshake-completing ACKs dropped because the accept queue was full (Linux ListenOverflows).</summary>
    public long ListenOverflows;
    /// <summary>SYN-ACKs sent again by a half-open connection's timer.</summary>
    public long SynAckRetransmissions;
    /// <summary>Half-open connections forgotten after <see cref="TcpConfig.MaxSynAckRetransmissions"/>.</summary>
    public long SynRequestsExpired;
    /// <summary>SYN-ACKs that found the bounded SYN-ACK queue full (sent again later by a timer or the peer's SYN).</summary>
    public long SynAcksDropped;
    /// <summary>SYN cookies: SYN-ACKs sent with one, ACKs that carried a valid one, ACKs that did not (Linux
    /// SyncookiesSent, SyncookiesRecv, SyncookiesFailed).</summary>
    public long SynCookiesSent, SynCookiesValidated, SynCookiesRejected;
    /// <summary>Connections that closed without TIME-WAIT because the table was full (Linux TCPTimeWaitOverflow).</summary>
    public long TimeWaitOverflows;
    /// <summary>New SYNs that reopened a four-tuple in TIME-WAIT (RFC 6191).</summary>
    public long TimeWaitReopened;
    /// <summary>ICMP "fragmentation needed" that lowered a connection's path MTU (RFC 1191 §3), and those ignored: quoting
    /// no connection, or a sequence number outside SND.UNA..SND.NXT (RFC 5927 §4.1; Linux OutOfWindowIcmps).</summary>
    public long PathMtuReductions, FragmentationNeededForNoConnection, FragmentationNeededOutOfWindow;
}
