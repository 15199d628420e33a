using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Api;

/// <summary>
/// A TCP connection of the user-space stack as a <see cref="Stream"/>: async reads and writes straight from and into the
/// connection's buffers (a full send buffer makes the writer wait: back-pressure), half-close with <see cref="ShutdownWrite"/>, graceful close on
/// dispose (FIN after the written data), <see cref="Abort"/> (RST). Failures are <see cref="SocketException"/>s with the
/// usual codes (ConnectionRefused, ConnectionReset, TimedOut, HostUnreachable), so existing code handles them.
/// One reader and one writer at a time, as with NetworkStream.
/// </summary>
public sealed class TcpStream : Stream
{
    private readonly StreamPump _pump;
    private readonly PollThread _thread;
    private readonly PendingRead _pendingRead;
    private int _disposed;

    internal TcpStream(StreamPump pump, PollThread thread)
    {
        _pump = pump;
        _thread = thread;
        _pendingRead = new PendingRead(this);
        var tuple = pump.Connection.Tuple;
        LocalAddress = tuple.LocalAddress;
        LocalPort = tuple.LocalPort;
        RemoteAddress = tuple.RemoteAddress;
        RemotePort = tuple.RemotePort;
    }

    public Ipv4Address LocalAddress { get; }
    public ushort LocalPort { get; }
    public Ipv4Address RemoteAddress { get; }
    public ushort RemotePort { get; }
    public IPEndPoint LocalEndPoint => new(LocalAddress.ToIPAddress(), LocalPort);
    public IPEndPoint RemoteEndPoint => new(RemoteAddress.ToIPAddress(), RemotePort);
    /// <summary>
    /// Nagle's algorithm off when true (RFC 9293 §3.7.4; TCP_NODELAY, <c>Socket.NoDelay</c>): small writes leave at once
    /// instead of waiting for the ACK of earlier small data. A server writing a response's tail after a full window wants
    /// it, or the tail waits for the client's delayed ACK. Defaults to <see cref="TcpConfig.NoDelay"/>.
    /// </summary>
    public bool NoDelay
    {
        get => _pump.NoDelay;
        set
        {
            _pump.NoDelay = value;
            _pump.RequestPassNow();
        }
    }

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

    /// <summary>
    /// Reads straight from the connection's receive buffer (the one copy after the capture ring's into it). Completes
    /// at once when bytes are there; otherwise the wait is the stream's own reusable <see cref="IValueTaskSource{TResult}"/>,
    /// and the copy happens when the awaiter takes the result: no allocation either way (without a
    /// <see cref="ReadTimeout"/>, whose timer allocates).
    /// </summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (buffer.IsEmpty) return new ValueTask<int>(0);
        if (TryReadNow(buffer.Span, out int n)) return new ValueTask<int>(n);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        if (_readTimeout != Timeout.Infinite) return ReadWithTimeoutAsync(buffer, cancellationToken);
        return _pendingRead.Start(buffer, cancellationToken);
    }

    /// <summary>
    /// Bytes, the end of the stream (0) or the failure, if there is one of them now; false when the read must wait.
    /// A read that passes the position the poll thread asked about (a window update is due) wakes it.
    /// </summary>
    private bool TryReadNow(Span<byte> destination, out int read)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this); // also when disposed during a wait
        read = _pump.Receive.Read(destination, out bool notify);
        if (read > 0)
        {
            _pump.RequestPass(); // the poll thread hands read chunks back, next turn
            if (notify) _thread.Nudge(); // and now: a window update is due
            return true;
        }
        if (_pump.Error != 0) throw Translate();
        if (!_pump.EndOfStream) return false;
        read = _pump.Receive.Read(destination, out _); // bytes committed before the end was announced
        return true;
    }

    private async ValueTask<int> ReadWithTimeoutAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int read;
        while (!TryReadNow(buffer.Span, out read))
            await WaitAsync(_pump.InboundChanged, StreamPump.ReaderReady, _readTimeout, "read", cancellationToken).ConfigureAwait(false);
        return read;
    }

    /// <summary>
    /// Writes straight into the connection's send buffer (its room grows with the congestion window: Linux
    /// tcp_sndbuf_expand), waking the poll thread to send; waits while the room is used up (back-pressure).
    /// </summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        WriteSequenceAsync(new ReadOnlySequence<byte>(buffer), cancellationToken);

    /// <summary>
    /// Writes every segment of <paramref name="buffers"/>, in order, as one write: as many as the send buffer takes now
    /// are appended before the poll thread is asked to send (one request, not one per segment, which for a pipe's
    /// 4 KiB blocks was most of a write's cost), then it waits for room as <see cref="WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/> does.
    /// </summary>
    public async ValueTask WriteSequenceAsync(ReadOnlySequence<byte> buffers, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_pump.ShutdownWriteRequested) throw new IOException("the stream's sending side is shut down");
        long remaining = buffers.Length;
        var next = buffers.Start;
        ReadOnlyMemory<byte> current = default;
        while (remaining > 0)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_pump.Error != 0) throw Translate();
            // Shut down (from another thread) while this write waited: its remaining bytes would come after the FIN.
            if (_pump.WriteClosed) throw new IOException($"the stream's sending side was shut down during the write; its last {remaining} bytes were not sent");
            long before = remaining;
            while (true)
            {
                if (current.IsEmpty && !buffers.TryGet(ref next, out current)) break;
                int n = _pump.Send.TryAppend(current.Span);
                current = current[n..];
                remaining -= n;
                if (!current.IsEmpty) break; // the send buffer is full
            }
            if (remaining != before) _pump.RequestPassNow();
            if (remaining > 0)
                await WaitAsync(_pump.OutboundChanged, StreamPump.WriterReady, _writeTimeout, "write", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for <paramref name="ready"/>, at most <paramref name="timeoutMilliseconds"/>.</summary>
    private async ValueTask WaitAsync(ChangeSignal signal, Func<StreamPump, bool> ready, int timeoutMilliseconds, string operation, CancellationToken cancellationToken)
    {
        if (timeoutMilliseconds == Timeout.Infinite)
        {
            await signal.WaitUntilAsync(ready, _pump, cancellationToken).ConfigureAwait(false);
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(timeoutMilliseconds);
        try
        {
            await signal.WaitUntilAsync(ready, _pump, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"the {operation} timed out after {timeoutMilliseconds} ms", new SocketException((int)SocketError.TimedOut));
        }
    }

    /// <summary>
    /// The stream's one read in waiting, as a reusable <see cref="IValueTaskSource{TResult}"/> over its
    /// <see cref="StreamPump.InboundChanged"/> signal: the signal completes only when the read can be served, and
    /// <see cref="GetResult"/> serves it on the awaiter's thread. One reader at a time, as for any stream.
    /// </summary>
    private sealed class PendingRead(TcpStream stream) : IValueTaskSource<int>
    {
        private Memory<byte> _buffer;

        private ChangeSignal Signal => stream._pump.InboundChanged;

        public ValueTask<int> Start(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            while (true)
            {
                if (stream.TryReadNow(buffer.Span, out int read)) return new ValueTask<int>(read);
                if (Signal.Arm(StreamPump.ReaderReady, stream._pump, cancellationToken))
                {
                    _buffer = buffer;
                    return new ValueTask<int>(this, Signal.Version);
                }
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => Signal.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            Signal.OnCompleted(continuation, state, token, flags);

        public int GetResult(short token)
        {
            var buffer = _buffer;
            _buffer = default;
            Signal.GetResult(token); // throws OperationCanceledException when the token fired first
            if (stream.TryReadNow(buffer.Span, out int read)) return read;
            throw new InvalidOperationException("a read woke with nothing to read"); // the signal completes only when one can be served
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask; // data leaves as soon as the window allows

    /// <summary>Half-close (RFC 9293 §3.6): FIN after what was written; reading goes on until the peer closes.</summary>
    public void ShutdownWrite()
    {
        _pump.ShutdownWriteRequested = true;
        _pump.RequestPassNow();
    }

    /// <summary>Resets the connection (RST) and drops what is queued.</summary>
    public void Abort()
    {
        _pump.AbortRequested = true;
        _pump.RequestPassNow();
    }

    private SocketException Translate() => (TcpError)_pump.Error switch
    {
        TcpError.ConnectionRefused => new SocketException((int)SocketError.ConnectionRefused),
        TcpError.ConnectionReset => new SocketException((int)SocketError.ConnectionReset),
        TcpError.TimedOut => new SocketException((int)SocketError.TimedOut),
        TcpError.HostUnreachable => new SocketException((int)SocketError.HostUnreachable),
        TcpError.AddressLost => new SocketException((int)SocketError.NetworkDown,
            "the stack lost its address: the DHCP lease expired or the server refused to renew it"),
        _ => new SocketException((int)SocketError.OperationAborted),
    };

    internal SocketException ConnectFailure() => Translate();

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <summary>
    /// Reads as <see cref="ReadAsync(Memory{byte}, CancellationToken)"/> does, blocking the calling thread while there is
    /// nothing: the poll thread wakes it directly (one context switch, no thread-pool hop), up to <see cref="ReadTimeout"/>.
    /// While it waits, <paramref name="buffer"/> is lent to the poll thread, which copies in-order bytes arriving on an
    /// empty receive buffer straight into it (ChunkedByteBuffer: direct delivery): one copy from the capture, not two.
    /// </summary>
    public override unsafe int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (buffer.IsEmpty) return 0;
        long deadline = _readTimeout == Timeout.Infinite ? long.MaxValue : Environment.TickCount64 + _readTimeout;
        int read;
        while (!TryReadNow(buffer, out read))
        {
            int remaining = deadline == long.MaxValue ? Timeout.Infinite : (int)Math.Max(0, deadline - Environment.TickCount64);
            bool ready;
            int delivered;
            fixed (byte* destination = buffer)
            {
                _pump.Receive.PostDirect(destination, buffer.Length);
                try
                {
                    ready = _pump.InboundChanged.WaitUntil(StreamPump.ReaderReady, _pump, remaining);
                }
                finally
                {
                    delivered = _pump.Receive.CollectDirect(); // the loan ends before the buffer is unpinned
                }
            }
            if (delivered > 0) return delivered;
            if (!ready) throw new IOException($"the read timed out after {_readTimeout} ms", new SocketException((int)SocketError.TimedOut));
        }
        return read;
    }
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
