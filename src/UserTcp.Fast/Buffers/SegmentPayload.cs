using System.Runtime.CompilerServices;

namespace UserTcp.Fast.Buffers;

/// <summary>
/// A TCP segment's payload left where it is, in its send buffer's chunks, instead of copied into the frame: the
/// pieces (at most <see cref="MaxPieces"/>) in order, each inside a chunk of a <see cref="ChunkPool"/>. A device pins
/// them (<see cref="ReadOnlyMemory{T}.Pin"/>) for the system call that hands their addresses to the kernel (sendmmsg's
/// iovecs), so the kernel makes the only copy.
/// Valid only until the poll thread next processes an acknowledgment: then the chunks may go back to the pool and be
/// written again (see <c>ISegmentingFrameOutput.SettlePayloads</c>, which ends every reference before that).
/// </summary>
internal struct SegmentPayload
{
    /// <summary>A 64 KiB segment spans at most five 16 KiB chunks; one more for a segment that starts late in its first.</summary>
    public const int MaxPieces = 6;

    private Pieces _pieces;

    /// <summary>Pieces held (0: none; the payload, if any, was copied).</summary>
    public int Count { get; private set; }
    /// <summary>Bytes in all pieces.</summary>
    public int Length { get; private set; }

    public readonly ReadOnlyMemory<byte> this[int index] => (uint)index < (uint)Count ? _pieces[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>Appends a piece; false (nothing added) when <see cref="MaxPieces"/> are held.</summary>
    public bool TryAdd(ReadOnlyMemory<byte> piece)
    {
        if (Count == MaxPieces) return false;
        _pieces[Count++] = piece;
        Length += piece.Length;
        return true;
    }

    /// <summary>Copies the pieces, in order, to the start of <paramref name="destination"/>.</summary>
    public readonly void CopyTo(Span<byte> destination)
    {
        for (int i = 0; i < Count; i++)
        {
            _pieces[i].Span.CopyTo(destination);
            destination = destination[_pieces[i].Length..];
        }
    }

    /// <summary>Forgets the pieces (and their chunks: nothing here keeps one alive).</summary>
    public void Clear()
    {
        ((Span<ReadOnlyMemory<byte>>)_pieces)[..Count].Clear();
        Count = 0;
        Length = 0;
    }

    [InlineArray(MaxPieces)]
    private struct Pieces
    {
        private ReadOnlyMemory<byte> _first;
    }
}
