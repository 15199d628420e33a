using Microsoft.Extensions.ObjectPool;
using UserTcp.Fast.Buffers;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// The send and receive rings connections borrow, kept for the next connection when one is done with them.
/// A connection's rings are megabytes each (<see cref="TcpConfig.SendBufferSize"/>, <see cref="TcpConfig.ReceiveBufferSize"/>)
/// and live on the large-object heap, so a stack that opens and closes connections (HTTP clients, a server) would hand
/// the garbage collector two such arrays per connection and trigger full collections. Microsoft.Extensions.ObjectPool's
/// <see cref="DefaultObjectPool{T}"/> is the tool for exactly this: a bounded store of reusable objects with a policy
/// that creates them and resets each on return.
/// </summary>
/// <remarks>
/// Bound: at most <see cref="RetainedPerCapacity"/> rings of each capacity wait here; a ring returned past that is left
/// to the garbage collector. Poll-thread only, like the rest of the engine.
/// </remarks>
internal sealed class ConnectionBufferPool
{
    public const int RetainedPerCapacity = 8;

    private readonly Dictionary<int, DefaultObjectPool<ByteRing>> _byCapacity = new();

    public ByteRing Rent(int capacity) => PoolFor(capacity).Get();

    public void Return(ByteRing ring)
    {
        if (ring == ByteRing.Detached) return;
        PoolFor(ring.Capacity).Return(ring);
    }

    private DefaultObjectPool<ByteRing> PoolFor(int capacity)
    {
        if (!_byCapacity.TryGetValue(capacity, out var pool))
        {
            pool = new DefaultObjectPool<ByteRing>(new RingPolicy(capacity), RetainedPerCapacity);
            _byCapacity.Add(capacity, pool);
        }
        return pool;
    }

    private sealed class RingPolicy(int capacity) : IPooledObjectPolicy<ByteRing>
    {
        public ByteRing Create() => new(capacity);

        public bool Return(ByteRing ring)
        {
            ring.Reset();
            return true;
        }
    }
}
