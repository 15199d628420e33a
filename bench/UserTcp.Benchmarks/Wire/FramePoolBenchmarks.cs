using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.ObjectPool;
using UserTcp.Fast.Buffers;

namespace UserTcp.Benchmarks.Wire;

/// <summary>
/// Renting and returning one frame buffer: the slab <see cref="FramePool"/> against the obvious alternative,
/// <see cref="DefaultObjectPool{T}"/> of pinned 2048-byte arrays. This is the measurement FramePool's design cites.
/// </summary>
/// <remarks>Each rent writes one byte into the buffer, because a caller always goes on to use it and the two pools
/// hand out different things: a ready array versus a handle whose span is computed.</remarks>
[MemoryDiagnoser]
public class FramePoolBenchmarks
{
    // One rent/return pair is a few nanoseconds: repeat it so timer resolution and call overhead vanish from the per-pair figure.
    private const int RentsPerInvoke = 1000;
    private const int BufferCount = 64;

    private FramePool _framePool = null!;
    private DefaultObjectPool<byte[]> _objectPool = null!;

    [GlobalSetup]
    public void Setup()
    {
        _framePool = new FramePool(BufferCount);
        _objectPool = new DefaultObjectPool<byte[]>(new PinnedFrameArrayPolicy(), maximumRetained: BufferCount);
        // ObjectPool creates on first Get: do it now so the measurement sees the steady state (and allocates nothing).
        _objectPool.Return(_objectPool.Get());
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RentsPerInvoke)]
    public int ObjectPoolGetReturn()
    {
        int touched = 0;
        for (int i = 0; i < RentsPerInvoke; i++)
        {
            byte[] buffer = _objectPool.Get();
            buffer[0] = (byte)i;
            touched += buffer.Length;
            _objectPool.Return(buffer);
        }
        return touched;
    }

    [Benchmark(OperationsPerInvoke = RentsPerInvoke)]
    public int FramePoolTryRentReturn()
    {
        int touched = 0;
        for (int i = 0; i < RentsPerInvoke; i++)
        {
            if (!_framePool.TryRent(out var buffer)) throw new InvalidOperationException("The frame pool ran dry.");
            var span = buffer.Span;
            span[0] = (byte)i;
            touched += span.Length;
            _framePool.Return(buffer);
        }
        return touched;
    }

    private sealed class PinnedFrameArrayPolicy : PooledObjectPolicy<byte[]>
    {
        public override byte[] Create() => GC.AllocateArray<byte>(FramePool.DefaultBufferSize, pinned: true);
        public override bool Return(byte[] buffer) => true;
    }
}
