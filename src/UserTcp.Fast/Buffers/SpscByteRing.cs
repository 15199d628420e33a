namespace UserTcp.Fast.Buffers;

/// <summary>
/// A bounded byte ring between exactly one producer thread and one consumer thread, without locks: each side only
/// moves its own position (published with volatile writes) and reads the other's. Power-of-two capacity.
/// </summary>
internal sealed class SpscByteRing
{
    private readonly byte[] _buffer;
    private readonly int _mask;
    private long _written; // producer's position
    private long _read;    // consumer's position

    public SpscByteRing(int capacity)
    {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0) throw new ArgumentException("capacity must be a power of two", nameof(capacity));
        _buffer = GC.AllocateUninitializedArray<byte>(capacity);
        _mask = capacity - 1;
    }

    public int Capacity => _buffer.Length;
    public int Count => (int)(Volatile.Read(ref _written) - Volatile.Read(ref _read));
    public int Free => Capacity - Count;

    /// <summary>Producer: the contiguous free space to write into (may be shorter than <see cref="Free"/> at the wrap).</summary>
    public Span<byte> WritableSpan()
    {
        long written = _written;
        int free = Capacity - (int)(written - Volatile.Read(ref _read));
        int start = (int)(written & _mask);
        return _buffer.AsSpan(start, Math.Min(free, Capacity - start));
    }

    /// <summary>Producer: publishes <paramref name="count"/> bytes written into <see cref="WritableSpan"/>.</summary>
    public void CommitWrite(int count) => Volatile.Write(ref _written, _written + count);

    /// <summary>Producer: copies as much of <paramref name="data"/> as fits; returns the bytes taken.</summary>
    public int Write(ReadOnlySpan<byte> data)
    {
        int total = 0;
        while (total < data.Length)
        {
            var space = WritableSpan();
            if (space.IsEmpty) break;
            int n = Math.Min(space.Length, data.Length - total);
            data.Slice(total, n).CopyTo(space);
            CommitWrite(n);
            total += n;
        }
        return total;
    }

    /// <summary>Consumer: the contiguous readable bytes (may be fewer than <see cref="Count"/> at the wrap).</summary>
    public ReadOnlySpan<byte> ReadableSpan()
    {
        long read = _read;
        int count = (int)(Volatile.Read(ref _written) - read);
        int start = (int)(read & _mask);
        return _buffer.AsSpan(start, Math.Min(count, Capacity - start));
    }

    /// <summary>Consumer: releases <paramref name="count"/> bytes read from <see cref="ReadableSpan"/>.</summary>
    public void CommitRead(int count) => Volatile.Write(ref _read, _read + count);

    /// <summary>Consumer: copies up to destination.Length bytes out; returns the bytes copied.</summary>
    public int Read(Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            var data = ReadableSpan();
            if (data.IsEmpty) break;
            int n = Math.Min(data.Length, destination.Length - total);
            data[..n].CopyTo(destination[total..]);
            CommitRead(n);
            total += n;
        }
        return total;
    }
}
