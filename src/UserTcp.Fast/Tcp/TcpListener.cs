namespace UserTcp.Fast.Tcp;

/// <summary>
/// A passive open (RFC 9293 §3.10.1): SYNs to <see cref="Port"/> spawn connections in SYN-RECEIVED, at most
/// <see cref="Backlog"/> of them half-open or waiting to be accepted; SYNs beyond that are dropped and counted
/// (the peer retransmits), as Linux does when its queues are full.
/// </summary>
internal sealed class TcpListener
{
    private readonly TcpStack _stack;
    private readonly Queue<TcpConnection> _accepted;
    private int _halfOpen;

    internal TcpListener(TcpStack stack, ushort port, int backlog, TcpConfig config)
    {
        _stack = stack;
        Port = port;
        Backlog = backlog;
        Config = config;
        _accepted = new Queue<TcpConnection>(backlog);
    }

    public ushort Port { get; }
    public int Backlog { get; }
    public TcpConfig Config { get; }
    public bool IsClosed { get; private set; }
    public int PendingAccepts => _accepted.Count;
    /// <summary>Connections this listener handed over that the application has not accepted yet (the public listener's
    /// queue, kept up to date by its owner): they count against <see cref="Backlog"/> like those still queued here.</summary>
    public int HeldByApplication { get; set; }
    public long SynsDropped { get; private set; }

    internal bool TryReserveSyn()
    {
        if (IsClosed || _halfOpen + _accepted.Count + HeldByApplication >= Backlog)
        {
            SynsDropped++;
            return false;
        }
        _halfOpen++;
        return true;
    }

    internal void OnEstablished(TcpConnection connection)
    {
        _halfOpen--;
        connection.Listener = null; // accepted connections are the application's
        _accepted.Enqueue(connection);
    }

    /// <summary>A half-open connection ended before reaching ESTABLISHED (RST, SYN-ACK retransmissions exhausted).</summary>
    internal void OnHalfOpenEnded() => _halfOpen--;

    public bool TryAccept(out TcpConnection connection) => _accepted.TryDequeue(out connection!);

    /// <summary>Stops listening; connections not yet accepted are aborted.</summary>
    public void Close()
    {
        if (IsClosed) return;
        IsClosed = true;
        while (_accepted.TryDequeue(out var pending)) pending.Abort();
        _stack.RemoveListener(this);
    }
}
