using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// A passive open (RFC 9293 §3.10.1) with Linux's two queues (inet_csk_reqsk_queue and sk_acceptq, tcp_conn_request):
/// the SYN queue of half-open <see cref="SynRequest"/>s, at most <see cref="TcpConfig.MaxSynBacklog"/>, past which SYNs
/// get SYN cookies (or, without them, are dropped); and the accept queue of established connections the application
/// has not accepted, at most <see cref="Backlog"/>, while it is full SYNs are dropped and handshake-completing ACKs too
/// (Linux ListenOverflows: the peer retransmits, tcp_abort_on_overflow off). The stack keeps the requests; this counts them.
/// </summary>
internal sealed class TcpListener
{
    private readonly TcpStack _stack;
    private readonly Queue<TcpConnection> _accepted;

    internal TcpListener(TcpStack stack, ushort port, int backlog, TcpConfig config)
    {
        _stack = stack;
        Port = port;
        Backlog = backlog;
        Config = config;
        _accepted = new Queue<TcpConnection>(Math.Min(backlog, 1024));
    }

    public ushort Port { get; }
    public int Backlog { get; }
    public TcpConfig Config { get; }
    public bool IsClosed { get; private set; }
    public int PendingAccepts => _accepted.Count;
    /// <summary>Connections this listener handed over that the application has not accepted yet (the public listener's
    /// queue, kept up to date by its owner): they count against <see cref="Backlog"/> like those still queued here.</summary>
    public int HeldByApplication { get; set; }
    /// <summary>Half-open connections in the SYN queue.</summary>
    public int SynQueueLength { get; private set; }
    public long SynsDropped { get; private set; }
    /// <summary>When this listener last answered a SYN with a cookie: only then may an ACK be one (Linux
    /// tcp_synq_no_recent_overflow).</summary>
    public Instant LastCookieSentAt { get; private set; } = Instant.Never;

    /// <summary>Linux sk_acceptq_is_full: established connections waiting for the application fill the backlog.</summary>
    internal bool AcceptQueueFull => _accepted.Count + HeldByApplication >= Backlog;
    /// <summary>Linux inet_csk_reqsk_queue_is_full, against tcp_max_syn_backlog.</summary>
    internal bool SynQueueFull => SynQueueLength >= Config.MaxSynBacklog;

    internal void OnSynDropped() => SynsDropped++;
    internal void OnCookieSent(Instant now) => LastCookieSentAt = now;
    /// <summary>An ACK can carry a live cookie only if one was sent within a cookie's lifetime.</summary>
    internal bool CookiesSentRecently(Instant now) => !LastCookieSentAt.IsNever && now - LastCookieSentAt <= SynCookies.Lifetime;
    internal void OnRequestAdded() => SynQueueLength++;
    internal void OnRequestRemoved() => SynQueueLength--;

    internal void OnEstablished(TcpConnection connection)
    {
        connection.Listener = null; // accepted connections are the application's
        _accepted.Enqueue(connection);
    }

    public bool TryAccept(out TcpConnection connection) => _accepted.TryDequeue(out connection!);

    /// <summary>Stops listening: half-open connections are forgotten (their ACKs then find no listener and get a RST),
    /// connections not yet accepted are aborted.</summary>
    public void Close()
    {
        if (IsClosed) return;
        IsClosed = true;
        while (_accepted.TryDequeue(out var pending)) pending.Abort();
        _stack.RemoveListener(this);
    }
}
