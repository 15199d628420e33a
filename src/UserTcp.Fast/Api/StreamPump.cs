using UserTcp.Fast.Buffers;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Api;

/// <summary>
/// One connection's bridge between the poll thread (which owns the <see cref="TcpConnection"/>) and the application
/// thread (which owns the <see cref="TcpStream"/>). The application reads the connection's receive buffer and writes its
/// send buffer directly (<see cref="ChunkedByteBuffer"/>: one producer, one consumer); this carries the flags each side
/// raises, and every turn the poll thread pumps: what the application wrote and read into the connection (data to send,
/// window updates, chunks back to the pool), close and abort requests into the connection, and the connection's news
/// (data, end of stream, room to write, failure) back to the application.
/// </summary>
internal sealed class StreamPump : IConnectionObserver
{
    private long _receivedSeen, _writtenSeen, _acknowledgedSeen;
    private int _sendLimitSeen;
    private readonly PollThreadUsage _usage;
    private readonly PumpScheduler _scheduler;

    public StreamPump(TcpConnection connection, PollThreadUsage usage, PumpScheduler scheduler)
    {
        _usage = usage;
        _scheduler = scheduler;
        Connection = connection;
        NoDelay = connection.NoDelay;
        Receive = connection.ReceiveBuffer;
        Send = connection.SendBuffer;
        InboundChanged = new ChangeSignal(usage);
        OutboundChanged = new ChangeSignal(usage);
    }

    public TcpConnection Connection { get; }
    /// <summary>The connection's receive buffer, as the reader holds it (the connection lets go of it when done).</summary>
    public ChunkedByteBuffer Receive { get; }
    /// <summary>The connection's send buffer, as the writer holds it.</summary>
    public ChunkedByteBuffer Send { get; }
    public ChangeSignal InboundChanged { get; }
    public ChangeSignal OutboundChanged { get; }
    public TaskCompletionSource<bool> Established { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Application → poll thread.
    public volatile bool ShutdownWriteRequested;
    public volatile bool AbortRequested;
    public volatile bool NoDelay;         // TcpStream.NoDelay: applied to the connection at the next pass
    public volatile bool ApplicationGone; // the stream was disposed: unread data will never be read
    // Poll thread → application.
    public volatile bool EndOfStream;     // the peer's FIN: every byte before it is in the receive buffer
    public volatile bool WriteClosed;     // the FIN is queued: the send buffer is sealed
    public volatile int Error;            // TcpError, once the connection failed

    // The scheduler's (see PumpScheduler): 1 while requested and not yet taken; the next pump on the request stack; due this turn.
    public int Requested;
    public StreamPump? NextRequested;
    public bool IsDue;

    /// <summary>Any thread, after changing what the pump carries: the poll thread runs it next turn.</summary>
    public void RequestPass() => _scheduler.Request(this);

    /// <summary>Any thread: <see cref="RequestPass"/>, with the poll thread woken for it now.</summary>
    public void RequestPassNow() => _scheduler.RequestNow(this);

    /// <summary>Poll thread: the engine changed the connection.</summary>
    public void OnConnectionChanged() => _scheduler.MarkDue(this);

    /// <summary>What a waiting reader waits for (read on either thread).</summary>
    public static readonly Func<StreamPump, bool> ReaderReady =
        static p => p.Receive.Count > 0 || p.Receive.DirectBytesWaiting || p.EndOfStream || p.Error != 0 || p.ApplicationGone;

    /// <summary>What a waiting writer waits for.</summary>
    public static readonly Func<StreamPump, bool> WriterReady =
        static p => p.Send.Limit > p.Send.Count || p.Error != 0 || p.ApplicationGone || p.WriteClosed;

    /// <summary>Poll thread: one pass, when the connection changed or the application asked (<see cref="PumpScheduler"/>).
    /// Returns false when the pump is done and can be forgotten.</summary>
    public bool Pump(Instant now)
    {
        var c = Connection;
        if (AbortRequested && !c.IsClosed) c.Abort();
        c.NoDelay = NoDelay; // before the writes below: a small write after setting it leaves at once
        if (ApplicationGone) c.Orphan(now); // RST if data is left unread
        if (c.State == TcpState.SynSent || c.State == TcpState.SynReceived)
        {
            if (c.IsClosed) Fail(c.Error);
            return !c.IsClosed;
        }
        if (!Established.Task.IsCompleted && !c.IsClosed) Settle(established: true);

        // A shut-down writer's buffer is sealed first, so the FIN goes after exactly the bytes that made it in; a write still
        // appending is waited for (the next turn), and any later one finds no room and fails on WriteClosed.
        bool finNow = false;
        if (ShutdownWriteRequested && !WriteClosed && c.State is TcpState.Established or TcpState.CloseWait)
        {
            finNow = Send.Seal() >= 0;
            if (!finNow) RequestPassNow(); // the application is appending: its bytes go before the FIN
        }
        long written = Send.WrittenPosition;
        if (written != _writtenSeen)
        {
            _writtenSeen = written;
            c.OnApplicationWrote();
        }
        if (finNow)
        {
            c.Close(); // FIN after everything the application wrote (all of it is in the send buffer)
            WriteClosed = true;
            OutboundChanged.SetIf(WriterReady, this); // a writer waiting for room fails now
        }
        c.OnApplicationRead();

        bool inboundMoved = false;
        long received = Receive.WrittenPosition;
        if (received != _receivedSeen)
        {
            _receivedSeen = received;
            inboundMoved = true;
        }
        if (c.PeerFinReceived && !EndOfStream)
        {
            EndOfStream = true;
            inboundMoved = true;
        }
        if (c.Error != TcpError.None) Fail(c.Error);
        if (inboundMoved) InboundChanged.SetIf(ReaderReady, this);
        long acknowledged = Send.ReadPosition;
        int limit = Send.Limit;
        if (acknowledged != _acknowledgedSeen || limit != _sendLimitSeen)
        {
            _acknowledgedSeen = acknowledged;
            _sendLimitSeen = limit;
            OutboundChanged.SetIf(WriterReady, this);
        }
        return !(c.IsClosed && (Receive.Count == 0 || ApplicationGone || Error != 0));
    }

    /// <summary>Poll thread, as the stack stops: the application's waits end with OperationAborted.</summary>
    public void Abandon() => Fail(TcpError.Aborted);

    /// <summary>Poll thread, as the stack shuts down: the next pass closes the connection as the stream's Dispose would
    /// (a handshake in progress is reset), and the application's waits end with OperationAborted now.</summary>
    public void CloseForShutdown()
    {
        if (Connection.State is TcpState.SynSent or TcpState.SynReceived) AbortRequested = true;
        ApplicationGone = true;
        ShutdownWriteRequested = true;
        Fail(TcpError.Aborted);
    }

    /// <summary>Completes the connect call's task: a wake-up of the application like <see cref="ChangeSignal.SetIf{TState}"/>, counted as one.</summary>
    private void Settle(bool established)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Established.TrySetResult(established);
        _usage.OnWakeUp(GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private void Fail(TcpError error)
    {
        if (error == TcpError.None) error = TcpError.Aborted;
        if (Error == 0) Error = (int)error;
        Settle(established: false);
        InboundChanged.SetIf(ReaderReady, this);
        OutboundChanged.SetIf(WriterReady, this);
    }
}
