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
    public TcpConnectionStats Stats => _pump.Connection.Stats;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            bool wasFull = _pump.Inbound.Free == 0;
            int n = _pump.Inbound.Read(buffer.Span);
            if (n > 0)
            {
                if (wasFull) _thread.Nudge(); // the poll thread can move more data (and reopen the window)
                return n;
            }
            if (_pump.Error != 0) throw Translate();
            if (_pump.EndOfStream && _pump.Inbound.Count == 0) return 0;
            await _pump.InboundChanged.WaitUntilAsync(() => _pump.Inbound.Count > 0 || _pump.EndOfStream || _pump.Error != 0, cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_pump.ShutdownWriteRequested) throw new IOException("the stream's sending side is shut down");
        while (!buffer.IsEmpty)
        {
            if (_pump.Error != 0) throw Translate();
            int n = _pump.Outbound.Write(buffer.Span);
            buffer = buffer[n..];
            if (n > 0) _thread.Nudge();
            if (!buffer.IsEmpty)
                await _pump.OutboundChanged.WaitUntilAsync(() => _pump.Outbound.Free > 0 || _pump.Error != 0, cancellationToken).ConfigureAwait(false);
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
        }
        base.Dispose(disposing);
    }
}
