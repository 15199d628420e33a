using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.ObjectPool;

namespace UserTcp.Fast.AspNetCore;

/// <summary>Makes connection objects and takes back those whose connection ended cleanly, reset for the next.</summary>
internal sealed class UserTcpConnectionPolicy(PipeOptions input, PipeOptions output, MemoryPool<byte> memoryPool) : IPooledObjectPolicy<UserTcpConnection>
{
    public UserTcpConnection Create() => new(input, output, memoryPool);

    public bool Return(UserTcpConnection connection) => connection.Reset();
}
