using System.Net.Sockets;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;

namespace UserTcp.Fast.Api;

/// <summary>
/// A TCP connection of the user-space stack as a <see cref="Stream"/>: async reads and writes through bounded buffers
/// (a full buffer makes the writer wait: back-pressure), half-close with <see cref="ShutdownWrite"/>, graceful close on
/// dispose (FIN after the written data), <see cref="Abort"/> (RST). Failures are <see cref="SocketException"/>s with the
/// usual codes (ConnectionRefused, ConnectionReset, TimedOut, HostUnreachable), so existing code handles them.
/// One reader and one writer at a time, as with NetworkStream.
/// </summary>
public sealed class TcpStream : Stream
{
    private readonly StreamPump _pump;
    private readonly PollThread _thread;
    private int _disposed;

    internal TcpStream(StreamPump pump, PollThread thread)
    {
        _pump = pump;
        _thread = thread;
        LocalPort = pump.Connection.Tuple.LocalPort;
    }

    public ushort LocalPort { get; }
    /// <summary>The connection's counters now, as a copy taken on the caller's thread (see <see cref="TcpConnectionStats"/>).</summary>
    public TcpConnectionStats Stats => _pump.Connection.Stats.Snapshot();

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override bool CanTimeout => true;

    /// <summary>
    /// Milliseconds a read may wait for data (<see cref="Timeout.Infinite"/>, the default, for ever); past it the read
    /// throws an IOException around a SocketException with TimedOut, as NetworkStream does. The connection stays usable.
    /// </summary>
    public override int ReadTimeout { get => _readTimeout; set => _readTimeout = CheckTimeout(value); }

    /// <summary>Milliseconds a write may wait for buffer space (<see cref="Timeout.Infinite"/> by default); as <see cref="ReadTimeout"/>.</summary>
    public override int WriteTimeout { get => _writeTimeout; set => _writeTimeout = CheckTimeout(value); }

    private int _readTimeout = Timeout.Infinite, _writeTimeout = Timeout.Infinite;

    private static int CheckTimeout(int milliseconds) =>
        milliseconds is > 0 or Timeout.Infinite ? milliseconds : throw new ArgumentOutOfRangeException(nameof(milliseconds), "a timeout is positive or Timeout.Infinite");
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this); // also when disposed during the wait below
            bool wasFull = _pump.Inbound.Free == 0;
            int n = _pump.Inbound.Read(buffer.Span);
            if (n > 0)
            {
                if (wasFull) _thread.Nudge(); // the poll thread can move more data (and reopen the window)
                return n;
            }
            if (_pump.Error != 0) throw Translate();
            if (_pump.EndOfStream && _pump.Inbound.Count == 0) return 0;
            await WaitAsync(_pump.InboundChanged, () => _pump.Inbound.Count > 0 || _pump.EndOfStream || _pump.Error != 0 || _disposed != 0, _readTimeout, "read", cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_pump.ShutdownWriteRequested) throw new IOException("the stream's sending side is shut down");
        while (!buffer.IsEmpty)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_pump.Error != 0) throw Translate();
            int n = _pump.Outbound.Write(buffer.Span);
            buffer = buffer[n..];
            if (n > 0) _thread.Nudge();
            if (!buffer.IsEmpty)
                await WaitAsync(_pump.OutboundChanged, () => _pump.Outbound.Free > 0 || _pump.Error != 0 || _disposed != 0, _writeTimeout, "write", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for <paramref name="ready"/>, at most <paramref name="timeoutMilliseconds"/>.</summary>
    private static async Task WaitAsync(ChangeSignal signal, Func<bool> ready, int timeoutMilliseconds, string operation, CancellationToken cancellationToken)
    {
        if (timeoutMilliseconds == Timeout.Infinite)
        {
            await signal.WaitUntilAsync(ready, cancellationToken).ConfigureAwait(false);
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(timeoutMilliseconds);
        try
        {
            await signal.WaitUntilAsync(ready, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"the {operation} timed out after {timeoutMilliseconds} ms", new SocketException((int)SocketError.TimedOut));
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask; // data leaves as soon as the window allows

    /// <summary>Half-close (RFC 9293 §3.6): FIN after what was written; reading goes on until the peer closes.</summary>
    public void ShutdownWrite()
    {
        _pump.ShutdownWriteRequested = true;
        _thread.Nudge();
    }

    /// <summary>Resets the connection (RST) and drops what is queued.</summary>
    public void Abort()
    {
        _pump.AbortRequested = true;
        _thread.Nudge();
    }

    private SocketException Translate() => new((int)((TcpError)_pump.Error switch
    {
        TcpError.ConnectionRefused => SocketError.ConnectionRefused,
        TcpError.ConnectionReset => SocketError.ConnectionReset,
        TcpError.TimedOut => SocketError.TimedOut,
        TcpError.HostUnreachable => SocketError.HostUnreachable,
        _ => SocketError.OperationAborted,
    }));

    internal SocketException ConnectFailure() => Translate();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _pump.ApplicationGone = true;
            ShutdownWrite(); // graceful: FIN after the written data
            // A read or write still waiting ends (ObjectDisposedException), as on a disposed NetworkStream: SocketsHttpHandler
            // cancels a request by disposing its connection's stream and waits for the pending read to fail.
            _pump.InboundChanged.Release();
            _pump.OutboundChanged.Release();
        }
        base.Dispose(disposing);
    }
}
