using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.ObjectPool;
using UserTcp.Fast.Api;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.AspNetCore;

/// <summary>
/// Kestrel's transport over the user-space stack: binds IPv4 endpoints as listeners of the stack
/// (<see cref="NetworkStack.Listen"/>) and hands Kestrel each accepted <see cref="TcpStream"/> as a pooled
/// <see cref="UserTcpConnection"/>. Shaped like Kestrel's sockets transport: one factory per host, one listener per
/// endpoint, a pair of pipes per connection whose memory comes from Kestrel's block pool.
/// </summary>
internal sealed class UserTcpTransportFactory : IConnectionListenerFactory, IConnectionListenerFactorySelector, IAsyncDisposable
{
    private readonly UserTcpTransportOptions _options;
    private readonly MemoryPool<byte> _memoryPool;
    private readonly ObjectPool<UserTcpConnection> _connections;
    private readonly Lock _gate = new();
    private NetworkStack? _stack;
    private bool _ownsStack;

    public UserTcpTransportFactory(UserTcpTransportOptions options, IMemoryPoolFactory<byte>? memoryPoolFactory)
    {
        if (options.Stack is null && options.StackOptions is null)
            throw new InvalidOperationException($"{nameof(UserTcpTransportOptions)} needs a {nameof(UserTcpTransportOptions.Stack)} or {nameof(UserTcpTransportOptions.StackOptions)}");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxReadBufferSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxWriteBufferSize);
        _options = options;
        _memoryPool = memoryPoolFactory?.Create(new MemoryPoolOptions { Owner = "usertcp" }) ?? MemoryPool<byte>.Shared;
        // The application's side runs on the thread pool (as Kestrel's default); the transport's side continues inline on
        // whichever thread the stack's stream woke.
        var input = new PipeOptions(_memoryPool, PipeScheduler.ThreadPool, PipeScheduler.Inline,
            options.MaxReadBufferSize, options.MaxReadBufferSize / 2, useSynchronizationContext: false);
        var output = new PipeOptions(_memoryPool, PipeScheduler.Inline, PipeScheduler.ThreadPool,
            options.MaxWriteBufferSize, options.MaxWriteBufferSize / 2, useSynchronizationContext: false);
        _connections = new DefaultObjectPool<UserTcpConnection>(new UserTcpConnectionPolicy(input, output, _memoryPool), options.MaxPooledConnections);
    }

    /// <summary>The stack's address, without starting it.</summary>
    private Ipv4Address StackAddress => _options.Stack?.Address ?? _options.StackOptions!.Address;

    /// <summary>IPv4 endpoints on the stack's address or on any address.</summary>
    public bool CanBind(EndPoint endpoint) =>
        endpoint is IPEndPoint { AddressFamily: AddressFamily.InterNetwork } ip
        && (ip.Address.Equals(IPAddress.Any) || Ipv4Address.FromIPAddress(ip.Address) == StackAddress);

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (!CanBind(endpoint))
            throw new NotSupportedException($"the user-space stack listens on IPv4 endpoints of {StackAddress} (or any address), not {endpoint}");
        var ip = (IPEndPoint)endpoint;
        TcpStreamListener listener;
        try
        {
            listener = Stack().Listen(ip.Port, _options.Backlog);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new AddressInUseException(e.Message, e); // what Kestrel reports as "address already in use"
        }
        return new ValueTask<IConnectionListener>(new UserTcpConnectionListener(listener, _connections, _options.NoDelay));
    }

    private NetworkStack Stack()
    {
        lock (_gate)
        {
            if (_stack is null)
            {
                _ownsStack = _options.Stack is null;
                _stack = _options.Stack ?? NetworkStack.Start(_options.StackOptions!);
            }
            return _stack;
        }
    }

    public async ValueTask DisposeAsync()
    {
        NetworkStack? owned;
        lock (_gate)
        {
            owned = _ownsStack ? _stack : null;
            _stack = null;
        }
        if (owned is not null) await owned.DisposeAsync().ConfigureAwait(false);
        if (!ReferenceEquals(_memoryPool, MemoryPool<byte>.Shared)) _memoryPool.Dispose();
    }
}
