namespace UserTcp.Fast.Buffers;

/// <summary>
/// The fixed-size chunks (<see cref="ChunkSize"/> bytes) that connections' buffers (<see cref="ChunkedByteBuffer"/>) hold
/// their bytes in, kept for reuse when a buffer hands them back. A buffer takes a chunk when bytes land in it and returns
/// it when every byte in it is consumed, so a connection's memory follows what it has buffered, not its window; the pool
/// keeps at most <see cref="RetainedChunks"/> spare chunks (4 MiB) and leaves the rest to the garbage collector.
/// Chunks of 16 KiB stay below the large-object heap (85,000 bytes) and span about eleven 1,448-byte segments. They are
/// not pinned: the pinned object heap is never compacted, and after 1,000 connections' send buffers had been full it kept
/// 175 MiB more resident than the compacting heap (serve, wrk, same-session). A device pins a chunk only for the system
/// call that reads it (<see cref="SegmentPayload"/>).
/// Thread-safe (a <see cref="Lock"/>, uncontended but for an application thread filling a send buffer while the poll
/// thread frees another): taking and returning a chunk is one short critical section per 16 KiB.
/// </summary>
internal sealed class ChunkPool
{
    public const int ChunkShift = 14;
    public const int ChunkSize = 1 << ChunkShift;
    public const int RetainedChunks = 256;

    [ThreadStatic] private static long ThreadBytesCreated;
    private readonly Lock _lock = new();
    private readonly byte[][] _spare = new byte[RetainedChunks][];
    private int _spareCount;
    private long _inUse, _created;

    /// <summary>Chunks held by buffers now.</summary>
    public long ChunksInUse => Volatile.Read(ref _inUse);
    /// <summary>Chunks ever allocated (the pool had none to give).</summary>
    public long ChunksCreated => Volatile.Read(ref _created);
    /// <summary>
    /// Bytes the calling thread has allocated for new chunks, by any pool, exactly as the garbage collector counts them:
    /// the poll thread's growth of buffers, which its usage report keeps apart from the per-packet work (that is 0).
    /// </summary>
    public static long BytesCreatedByThisThread => ThreadBytesCreated;

    /// <summary>Spare chunks kept for reuse.</summary>
    public int SpareChunks
    {
        get
        {
            lock (_lock) return _spareCount;
        }
    }

    public byte[] Rent()
    {
        lock (_lock)
        {
            _inUse++;
            if (_spareCount > 0)
            {
                var chunk = _spare[--_spareCount];
                _spare[_spareCount] = null!;
                return chunk;
            }
            _created++;
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        var created = GC.AllocateUninitializedArray<byte>(ChunkSize);
        ThreadBytesCreated += GC.GetAllocatedBytesForCurrentThread() - before;
        return created;
    }

    public void Return(byte[] chunk)
    {
        lock (_lock)
        {
            _inUse--;
            if (_spareCount < RetainedChunks) _spare[_spareCount++] = chunk;
        }
    }

    /// <summary>A chunk its buffer gave up without returning it (another thread may still touch it): the garbage
    /// collector takes it, and the count of chunks in use stays honest.</summary>
    public void Abandon()
    {
        lock (_lock) _inUse--;
    }
}
