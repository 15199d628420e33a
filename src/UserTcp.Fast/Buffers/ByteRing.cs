namespace UserTcp.Fast.Buffers;

/// <summary>
/// A fixed-capacity byte ring. <see cref="Count"/> bytes from the read position are readable; bytes may also be
/// written at an offset beyond <see cref="Count"/> (out-of-order data, placed where it belongs) and later made
/// readable with <see cref="Commit"/>. Reads at an offset (retransmission) do not consume.
/// </summary>
internal sealed class ByteRing
{
    private readonly byte[] _buffer;
    private int _read;

    public ByteRing(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _buffer = GC.AllocateUninitializedArray<byte>(capacity);
    }

    private ByteRing() => _buffer = [];

    /// <summary>
    /// A ring of no capacity that stands in for one handed back to a pool: whoever still holds the owner reads nothing
    /// and can write nothing, instead of reaching bytes that now belong to someone else. Shared: nothing can change it
    /// (every write fits in zero bytes, every position stays 0).
    /// </summary>
    public static ByteRing Detached { get; } = new();

    /// <summary>Empties the ring for its next owner. Old bytes stay in the buffer but are never readable again: only
    /// bytes written and then made readable are.</summary>
    public void Reset()
    {
        _read = 0;
        Count = 0;
    }

    public int Capacity => _buffer.Length;
    public int Count { get; private set; }
    public int Free => _buffer.Length - Count;

    /// <summary>Appends as much of <paramref name="data"/> as fits after the readable bytes; returns the number appended.</summary>
    public int Append(ReadOnlySpan<byte> data)
    {
        int n = Math.Min(data.Length, Free);
        WriteAt(Count, data[..n]);
        Count += n;
        return n;
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> from the read position (which may be past
    /// <see cref="Count"/>); the caller guarantees offset + length &lt;= Capacity.</summary>
    public void WriteAt(int offset, ReadOnlySpan<byte> data)
    {
        int start = Wrap(_read + offset);
        int first = Math.Min(data.Length, _buffer.Length - start);
        data[..first].CopyTo(_buffer.AsSpan(start));
        data[first..].CopyTo(_buffer);
    }

    /// <summary>Makes <paramref name="length"/> more bytes readable (written earlier with <see cref="WriteAt"/>).</summary>
    public void Commit(int length)
    {
        if ((uint)length > (uint)Free) throw new ArgumentOutOfRangeException(nameof(length));
        Count += length;
    }

    /// <summary>Copies bytes from <paramref name="offset"/> into <paramref name="destination"/> without consuming.</summary>
    public void CopyTo(int offset, Span<byte> destination)
    {
        if ((uint)offset > (uint)Count || destination.Length > Count - offset) throw new ArgumentOutOfRangeException(nameof(offset));
        int start = Wrap(_read + offset);
        int first = Math.Min(destination.Length, _buffer.Length - start);
        _buffer.AsSpan(start, first).CopyTo(destination);
        _buffer.AsSpan(0, destination.Length - first).CopyTo(destination[first..]);
    }

    /// <summary>Copies up to destination.Length readable bytes out and consumes them.</summary>
    public int Read(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, Count);
        CopyTo(0, destination[..n]);
        Discard(n);
        return n;
    }

    public void Discard(int length)
    {
        if ((uint)length > (uint)Count) throw new ArgumentOutOfRangeException(nameof(length));
        // The read position never jumps (not even when empty): data written beyond Count stays where it belongs.
        _read = Wrap(_read + length);
        Count -= length;
    }

    private int Wrap(int position) => position >= _buffer.Length ? position - _buffer.Length : position;
}
