using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.ObjectPool;
using UserTcp.Fast.Api;

namespace UserTcp.Fast.AspNetCore;

/// <summary>
/// One accepted connection as Kestrel sees it: <see cref="ConnectionContext.Transport"/> is a pair of pipes over the
/// stack's <see cref="TcpStream"/>, pumped by two loops as Kestrel's sockets transport pumps a socket. Receiving copies
/// from the stream's receive buffer into pipe memory and stops while the application leaves
/// <see cref="UserTcpTransportOptions.MaxReadBufferSize"/> unread (the stack's window then closes); sending copies pipe
/// memory into the stream's send buffer and waits while that is full, so the application's flush waits once
/// <see cref="UserTcpTransportOptions.MaxWriteBufferSize"/> is queued. When the application completes its output the
/// stream is disposed: FIN after everything written (RST if request bytes were left unread, as close(2) does).
/// <see cref="Abort(ConnectionAbortedException)"/> drops what the pipe still holds and resets the connection, unless the
/// client already closed its side (Kestrel aborts then too): that close is a FIN, as Kestrel's sockets transport's. The object, its pipes and its features are reused for
/// later connections (<see cref="UserTcpConnectionPolicy"/>).
/// </summary>
internal sealed class UserTcpConnection : ConnectionContext, IDuplexPipe,
    IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature,
    IConnectionEndPointFeature, IMemoryPoolFeature
{
    private static long LastNumber;

    private readonly Pipe _input;  // stack → application
    private readonly Pipe _output; // application → stack
    private FeatureCollection _features;
    private int _featuresRevision;
    private TcpStream? _stream;
    private ObjectPool<UserTcpConnection>? _pool;
    private CancellationTokenSource _closed = new();
    private CancellationToken _closedToken;
    private ConnectionAbortedException? _abortReason;
    private Task _processing = Task.CompletedTask;
    private int _disposing;
    private volatile bool _returned; // back in the pool: an abort from a stale reference must not reach the next connection
    private volatile bool _peerClosed; // the peer's FIN arrived
    private long _number;
    private string? _id;
    private IDictionary<object, object?>? _items;
    private IDuplexPipe _transport;

    public UserTcpConnection(PipeOptions input, PipeOptions output, MemoryPool<byte> memoryPool)
    {
        _input = new Pipe(input);
        _output = new Pipe(output);
        MemoryPool = memoryPool;
        _transport = this;
        _features = NewFeatures();
    }

    public MemoryPool<byte> MemoryPool { get; }
    public override IFeatureCollection Features => _features;

    public override string ConnectionId
    {
        get => _id ??= "ut" + _number.ToString("x", CultureInfo.InvariantCulture);
        set => _id = value;
    }

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new ConnectionItems();
        set => _items = value;
    }

    public override IDuplexPipe Transport
    {
        get => _transport;
        set => _transport = value;
    }

    PipeReader IDuplexPipe.Input => _input.Reader;
    PipeWriter IDuplexPipe.Output => _output.Writer;

    /// <summary>Fires once the connection can receive no more: the peer's FIN or RST, an abort, or the end of the connection.</summary>
    public override CancellationToken ConnectionClosed
    {
        get => _closedToken;
        set => _closedToken = value;
    }

    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>Begins serving <paramref name="stream"/>; <see cref="DisposeAsync"/> gives the object back to <paramref name="pool"/>.</summary>
    public void Start(TcpStream stream, ObjectPool<UserTcpConnection> pool)
    {
        _stream = stream;
        _pool = pool;
        _returned = false;
        _number = Interlocked.Increment(ref LastNumber);
        _closedToken = _closed.Token;
        LocalEndPoint = stream.LocalEndPoint;
        RemoteEndPoint = stream.RemoteEndPoint;
        _processing = RunAsync(stream);
    }

    private async Task RunAsync(TcpStream stream)
    {
        var receiving = ReceiveAsync(stream);
        var sending = SendAsync(stream);
        await receiving.ConfigureAwait(false);
        await sending.ConfigureAwait(false);
    }

    private async Task ReceiveAsync(TcpStream stream)
    {
        var writer = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                int read = await stream.ReadAsync(writer.GetMemory()).ConfigureAwait(false);
                if (read == 0) // the peer's FIN
                {
                    _peerClosed = true;
                    break;
                }
                writer.Advance(read);
                // Waits while the application has MaxReadBufferSize unread: the stack's receive buffer fills meanwhile and
                // its advertised window closes, which holds the client back.
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled) break; // the application reads no more
            }
        }
        catch (ObjectDisposedException)
        {
            // The send loop disposed the stream: the application finished with the connection.
        }
        catch (Exception e)
        {
            error = Translate(e);
        }
        finally
        {
            writer.Complete(Volatile.Read(ref _abortReason) ?? error);
            // Inline, not queued: the object may be reused once both loops end, and a late cancel would hit the next connection.
            _closed.Cancel();
        }
    }

    private async Task SendAsync(TcpStream stream)
    {
        var reader = _output.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled) break; // Abort
                var buffer = result.Buffer;
                // The whole flush as one write, which waits while the stack's send buffer is full (back-pressure up to the
                // application's flush).
                await stream.WriteSequenceAsync(buffer).ConfigureAwait(false);
                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted) break; // the application is done with the connection
            }
        }
        catch (Exception e)
        {
            error = Translate(e);
        }
        finally
        {
            var reason = Volatile.Read(ref _abortReason) ?? error;
            reader.Complete(reason);
            // Kestrel aborts also when the client closed (its FIN ends the input): then what was sent stays sent and the
            // close is a FIN; an abort while the client is still there (a timeout, the application, shutdown) resets.
            if (reason is not null && !_peerClosed) stream.Abort();
            // FIN after everything written (the connection closes on its own in the stack); ends a read still waiting.
            stream.Dispose();
        }
    }

    private static Exception Translate(Exception e) => e switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionReset } => new ConnectionResetException(e.Message, e),
        IOException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionReset } } => new ConnectionResetException(e.Message, e),
        SocketException or IOException or ObjectDisposedException => new ConnectionAbortedException(e.Message, e),
        _ => e,
    };

    /// <summary>Ends both loops and resets the connection (RST), or closes it (FIN) when the client already closed its side.</summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        // Still honoured while DisposeAsync waits for the loops: Kestrel's shutdown aborts a connection whose last bytes wait
        // for a client that does not read, and only the abort ends that wait.
        if (_returned) return;
        Interlocked.CompareExchange(ref _abortReason, abortReason, null);
        if (!_peerClosed) _stream?.Abort(); // at once: a send loop waiting for room in the send buffer wakes with the failure
        _output.Reader.CancelPendingRead();
    }

    public override void Abort() => Abort(new ConnectionAbortedException("The connection was aborted by the application."));

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0) return;
        // Kestrel completes its ends first; a connection middleware that replaced Transport may not have.
        await _input.Reader.CompleteAsync().ConfigureAwait(false);
        await _output.Writer.CompleteAsync().ConfigureAwait(false);
        await _processing.ConfigureAwait(false);
        var pool = _pool;
        _pool = null;
        _returned = true;
        pool?.Return(this);
    }

    /// <summary>Pool: made ready for the next connection; false when it cannot be (then it is dropped).</summary>
    public bool Reset()
    {
        try
        {
            _input.Reset();
            _output.Reset();
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        _stream = null;
        _abortReason = null;
        _peerClosed = false;
        _id = null;
        _items = null;
        _transport = this;
        LocalEndPoint = null;
        RemoteEndPoint = null;
        _closed.Dispose();
        _closed = new CancellationTokenSource(); // a cancelled source cannot be reset, and every connection's was cancelled
        _processing = Task.CompletedTask;
        // Features the application added belong to the connection that ended.
        if (_features.Revision != _featuresRevision) _features = NewFeatures();
        Volatile.Write(ref _disposing, 0);
        return true;
    }

    private FeatureCollection NewFeatures()
    {
        var features = new FeatureCollection();
        features.Set<IConnectionIdFeature>(this);
        features.Set<IConnectionTransportFeature>(this);
        features.Set<IConnectionItemsFeature>(this);
        features.Set<IConnectionLifetimeFeature>(this);
        features.Set<IConnectionEndPointFeature>(this);
        features.Set<IMemoryPoolFeature>(this);
        _featuresRevision = features.Revision;
        return features;
    }
}
