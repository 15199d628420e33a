using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CommunityToolkit.HighPerformance;

namespace UserTcp.Fast.Buffers;

/// <summary>
/// A slab of fixed-size frame buffers in one pinned array, handed out by index from a free stack.
/// </summary>
/// <remarks>
/// <para><b>Ownership rule.</b> A pool belongs to one thread (the poll loop) and only that thread rents and
/// returns. A rented <see cref="FrameBuffer"/> has exactly one owner at a time: whoever rented it, or the one
/// component it was handed to (a device's transmit queue, a retransmission queue), which then returns it.
/// Spans taken from a buffer must not outlive its ownership; returning a buffer twice, or one from another
/// pool, throws (a programming error, not bad input).</para>
/// <para><b>Why a slab and not ObjectPool.</b> Measured in bench (FramePoolBenchmarks): the slab rents and
/// returns without interlocked operations, its buffers are pinned once (safe to pass to libpcap by pointer)
/// and contiguous, and exhaustion is a counted <c>false</c> instead of a silent allocation.</para>
/// </remarks>
internal sealed class FramePool
{
    public const int DefaultBufferSize = 2048;

    private readonly byte[] _slab;
    private readonly int[] _free;
    private readonly bool[] _rented;
    private int _freeCount;

    public FramePool(int bufferCount, int bufferSize = DefaultBufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bufferCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 64);
        BufferSize = bufferSize;
        BufferCount = bufferCount;
        _slab = GC.AllocateArray<byte>(checked(bufferCount * bufferSize), pinned: true);
        _free = new int[bufferCount];
        _rented = new bool[bufferCount];
        for (int i = 0; i < bufferCount; i++) _free[i] = bufferCount - 1 - i;
        _freeCount = bufferCount;
    }

    public int BufferSize { get; }
    public int BufferCount { get; }
    public int Available => _freeCount;
    /// <summary>Rent attempts that found the pool empty.</summary>
    public long Exhausted { get; private set; }

    /// <summary>Rents a buffer; false (and counted) when all are in use, so callers can drop or defer instead of allocating.</summary>
    public bool TryRent(out FrameBuffer buffer)
    {
        if (_freeCount == 0)
        {
            Exhausted++;
            buffer = default;
            return false;
        }
        int index = _free[--_freeCount];
        _rented[index] = true;
        buffer = new FrameBuffer(this, index);
        return true;
    }

    public void Return(FrameBuffer buffer)
    {
        if (buffer.Pool != this) ThrowForeign();
        int index = buffer.Index;
        if (!_rented[index]) ThrowDoubleReturn();
        _rented[index] = false;
        _free[_freeCount++] = index;
    }

    // CommunityToolkit.HighPerformance's DangerousGetReferenceAt is the slab-element reference this code would otherwise
    // spell out (Unsafe.Add over MemoryMarshal.GetArrayDataReference): no bounds check, inlined, its name says the risk.
    // The index comes from this pool's own free list, so it is always inside the slab.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal Span<byte> SpanOf(int index) => MemoryMarshal.CreateSpan(ref _slab.DangerousGetReferenceAt(index * BufferSize), BufferSize);

    internal unsafe byte* PointerOf(int index) => (byte*)Unsafe.AsPointer(ref _slab.DangerousGetReferenceAt(index * BufferSize));

    private static void ThrowForeign() => throw new InvalidOperationException("This frame buffer belongs to another pool.");
    private static void ThrowDoubleReturn() => throw new InvalidOperationException("This frame buffer was already returned.");
}
