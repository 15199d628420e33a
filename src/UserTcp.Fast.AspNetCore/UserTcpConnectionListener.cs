using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.ObjectPool;
using UserTcp.Fast.Api;

namespace UserTcp.Fast.AspNetCore;

/// <summary>One endpoint Kestrel bound on the stack: each accepted stream becomes a pooled connection context.</summary>
internal sealed class UserTcpConnectionListener(TcpStreamListener listener, ObjectPool<UserTcpConnection> connections, bool noDelay) : IConnectionListener
{
    public EndPoint EndPoint { get; } = listener.LocalEndPoint;

    /// <summary>The next connection, or null once the listener is unbound or the stack stopped (Kestrel's signal to stop accepting).</summary>
    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        TcpStream stream;
        try
        {
            stream = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
        {
            return null;
        }
        stream.NoDelay = noDelay;
        var connection = connections.Get();
        connection.Start(stream, connections);
        return connection;
    }

    /// <summary>Stops listening; connections already accepted go on.</summary>
    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        listener.Stop();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        listener.Dispose();
        return ValueTask.CompletedTask;
    }
}
