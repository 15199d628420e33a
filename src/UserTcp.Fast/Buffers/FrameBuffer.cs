namespace UserTcp.Fast.Buffers;

/// <summary>A handle on one pooled, pinned frame buffer. See <see cref="FramePool"/> for the ownership rule.</summary>
internal readonly struct FrameBuffer
{
    internal FrameBuffer(FramePool pool, int index)
    {
        Pool = pool;
        Index = index;
    }

    internal FramePool? Pool { get; }
    internal int Index { get; }

    public bool IsValid => Pool is not null;
    /// <summary>The whole buffer (<see cref="FramePool.BufferSize"/> bytes); the owner tracks how much is a frame.</summary>
    public Span<byte> Span => Pool!.SpanOf(Index);
    /// <summary>Address of the first byte; valid while rented (the slab is pinned for the pool's lifetime).</summary>
    public unsafe byte* Pointer => Pool!.PointerOf(Index);
}
