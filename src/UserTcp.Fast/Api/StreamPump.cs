using UserTcp.Fast.Buffers;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Api;

/// <summary>
/// One connection's bridge between the poll thread (which owns the <see cref="TcpConnection"/>) and the application
/// thread (which owns the <see cref="TcpStream"/>): two bounded byte rings, and the flags each side raises. Every turn
/// the poll thread pumps: application bytes into the connection, received bytes into the inbound ring, close and abort
/// requests into the connection, and the connection's fate back to the application.
/// </summary>
internal sealed class StreamPump(TcpConnection connection, int ringCapacity, PollThreadUsage usage)
{
    public TcpConnection Connection { get; } = connection;
    public SpscByteRing Inbound { get; } = new(ringCapacity);
    public SpscByteRing Outbound { get; } = new(ringCapacity);
    public ChangeSignal InboundChanged { get; } = new(usage);
    public ChangeSignal OutboundChanged { get; } = new(usage);
    public TaskCompletionSource<bool> Established { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Application → poll thread.
    public volatile bool ShutdownWriteRequested;
    public volatile bool AbortRequested;
    public volatile bool ApplicationGone; // the stream was disposed: unread data will never be read
    // Poll thread → application.
    public volatile bool EndOfStream;
    public volatile bool WriteClosed;
    public volatile int Error; // TcpError, once the connection failed

    /// <summary>Poll thread: one pass. Returns false when the pump is done and can be forgotten.</summary>
    public bool Pump(Instant now)
    {
        var c = Connection;
        if (AbortRequested && !c.IsClosed) c.Abort();
        if (ApplicationGone) c.Orphan(unreadDataDiscarded: Inbound.Count > 0, now); // RST if data is left unread
        if (c.State == TcpState.SynSent || c.State == TcpState.SynReceived)
        {
            if (c.IsClosed) Fail(c.Error);
            return !c.IsClosed;
        }
        if (!Established.Task.IsCompleted && !c.IsClosed) Settle(established: true);

        bool outboundMoved = false, inboundMoved = false;
        while (!ShutdownWriteRequested || Outbound.Count > 0)
        {
            if (c.SendSpace == 0) break;
            var data = Outbound.ReadableSpan();
            if (data.IsEmpty) break;
            int n = c.Send(data);
            Outbound.CommitRead(n);
            outboundMoved = true;
            if (n < data.Length) break;
        }
        if (ShutdownWriteRequested && Outbound.Count == 0 && !WriteClosed && c.State is TcpState.Established or TcpState.CloseWait)
        {
            c.Close(); // FIN after everything the application wrote
            WriteClosed = true;
        }
        while (c.BytesAvailable > 0)
        {
            var space = Inbound.WritableSpan();
            if (space.IsEmpty) break;
            int n = c.Receive(space);
            Inbound.CommitWrite(n);
            inboundMoved = true;
        }
        if (c.IsReceiveComplete && !EndOfStream)
        {
            EndOfStream = true;
            inboundMoved = true;
        }
        if (c.Error != TcpError.None) Fail(c.Error);
        if (inboundMoved) InboundChanged.Set();
        if (outboundMoved) OutboundChanged.Set();
        return !(c.IsClosed && (Inbound.Count == 0 || ApplicationGone || Error != 0));
    }

    /// <summary>Poll thread, as the stack stops: the application's waits end with OperationAborted.</summary>
    public void Abandon() => Fail(TcpError.Aborted);

    /// <summary>Completes the connect call's task: a wake-up of the application like <see cref="ChangeSignal.Set"/>, counted as one.</summary>
    private void Settle(bool established)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Established.TrySetResult(established);
        usage.OnWakeUp(GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private void Fail(TcpError error)
    {
        if (error == TcpError.None) error = TcpError.Aborted;
        if (Error == 0) Error = (int)error;
        Settle(established: false);
        InboundChanged.Set();
        OutboundChanged.Set();
    }
}
