using System.Net;
using System.Net.Sockets;
using TcpListener = UserTcp.Fast.Tcp.TcpListener;
using System.Threading.Channels;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Api;

/// <summary>
/// A listening port of the user-space stack (<see cref="NetworkStack.Listen"/>), as <c>System.Net.Sockets.TcpListener</c>
/// users expect: <see cref="AcceptAsync"/> returns each connection the stack completed as a <see cref="TcpStream"/>,
/// <see cref="Pending"/> says whether one is waiting, <see cref="Stop"/> ends it. At most <see cref="Backlog"/> connections
/// wait for an accept, half-open or established; SYNs beyond that are dropped and counted (the client retransmits), as
/// Linux does when a listen queue is full. Failures are <see cref="SocketException"/>s with the codes sockets use.
/// </summary>
public sealed class TcpStreamListener : IDisposable
{
    private readonly PollThread _thread;
    private readonly Func<TcpConnection, TcpStream> _adopt;
    // Poll thread writes, acceptors read. Its length is bounded by the engine's backlog, which counts _waiting.
    private readonly Channel<TcpStream> _ready = Channel.CreateUnbounded<TcpStream>(new UnboundedChannelOptions { SingleWriter = true });
    private int _waiting; // streams in _ready: poll thread adds, acceptors take
    private int _stopped;

    internal TcpStreamListener(TcpListener engine, Ipv4Address address, PollThread thread, Func<TcpConnection, TcpStream> adopt)
    {
        Engine = engine;
        _thread = thread;
        _adopt = adopt;
        LocalAddress = address;
        Port = engine.Port;
        Backlog = engine.Backlog;
    }

    /// <summary>The engine's listener: poll thread only.</summary>
    internal TcpListener Engine { get; }
    public Ipv4Address LocalAddress { get; }
    public int Port { get; }
    /// <summary>Connections that may wait for an accept, half-open or established (listen(2)'s backlog).</summary>
    public int Backlog { get; }
    public IPEndPoint LocalEndPoint => new(LocalAddress.ToIPAddress(), Port);
    /// <summary>Established connections waiting for <see cref="AcceptAsync"/>.</summary>
    public int PendingCount => Volatile.Read(ref _waiting);

    /// <summary>Whether a connection is waiting to be accepted (as <c>TcpListener.Pending</c>).</summary>
    public bool Pending() => PendingCount > 0;

    /// <summary>
    /// The next established connection. Throws <see cref="SocketException"/> with OperationAborted once the listener is
    /// stopped or the stack stops, and <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.
    /// </summary>
    public ValueTask<TcpStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (_ready.Reader.TryRead(out var stream)) return new ValueTask<TcpStream>(Taken(stream));
        return WaitAsync(cancellationToken);
    }

    private async ValueTask<TcpStream> WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                if (!await _ready.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) throw Aborted();
                if (_ready.Reader.TryRead(out var stream)) return Taken(stream);
            }
        }
        catch (ChannelClosedException)
        {
            throw Aborted();
        }
    }

    private TcpStream Taken(TcpStream stream)
    {
        Interlocked.Decrement(ref _waiting);
        return stream;
    }

    private static SocketException Aborted() => new((int)SocketError.OperationAborted, "the listener was stopped");

    /// <summary>
    /// Stops listening: new SYNs to the port are answered with RST, and connections established but not accepted are
    /// reset (as closing a listening socket does on Linux). Waiting accepts fail with OperationAborted.
    /// </summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        try
        {
            _thread.InvokeAsync((_, _) =>
            {
                Close();
                return true;
            }).GetAwaiter().GetResult();
        }
        catch (InvalidOperationException) // the stack stopped (ObjectDisposedException, ChannelClosedException): it closed us
        {
            _ready.Writer.TryComplete();
        }
    }

    public void Dispose() => Stop();

    /// <summary>Poll thread, every turn: hands the engine's newly established connections to acceptors. False once closed.</summary>
    internal bool Pump()
    {
        if (Engine.IsClosed) return false;
        while (Engine.TryAccept(out var connection))
        {
            Interlocked.Increment(ref _waiting);
            _ready.Writer.TryWrite(_adopt(connection));
        }
        Engine.HeldByApplication = Volatile.Read(ref _waiting);
        return true;
    }

    /// <summary>Poll thread: stops the engine's listener and resets what no one accepted.</summary>
    internal void Close()
    {
        Engine.Close();
        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out var unaccepted))
        {
            Interlocked.Decrement(ref _waiting);
            unaccepted.Abort();
        }
    }
}
