using UserTcp.Fast.Buffers;

namespace UserTcp.Fast.Tests.Buffers;

/// <summary>
/// <see cref="ChunkedByteBuffer"/> alone: bytes placed out of order and made readable later, chunks taken only where bytes
/// land and handed back once read, the send side's room and acknowledgment.
/// </summary>
public sealed class ChunkedByteBufferTests
{
    private const int Chunk = ChunkPool.ChunkSize;

    private static byte[] Pattern(long start, int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = PatternByte(start + i);
        return bytes;
    }

    internal static byte PatternByte(long position) => (byte)(position ^ (position >> 8) ^ (position >> 17));

    [Fact]
    public void Out_of_order_bytes_wait_beyond_the_end_and_become_readable_with_the_hole_filled()
    {
        var pool = new ChunkPool();
        var buffer = new ChunkedByteBuffer(pool, 1 << 20, 1 << 20);
        buffer.WriteAt(3 * Chunk - 100, Pattern(3 * Chunk - 100, 300)); // straddles two chunks, far from the end
        Assert.Equal(2, buffer.ChunksHeld); // only where bytes landed, not the whole window up to them
        Assert.Equal(0, buffer.Count);
        buffer.WriteAt(0, Pattern(0, 3 * Chunk - 100));
        buffer.Commit(3 * Chunk + 200);
        var read = new byte[4 * Chunk];
        Assert.Equal(3 * Chunk + 200, buffer.Read(read, out _));
        Assert.Equal(Pattern(0, 3 * Chunk + 200), read[..(3 * Chunk + 200)]);
    }

    [Fact]
    public void Read_chunks_go_back_to_the_pool_and_an_emptied_buffer_holds_none()
    {
        var pool = new ChunkPool();
        var buffer = new ChunkedByteBuffer(pool, 1 << 20, 1 << 20);
        buffer.WriteAt(0, Pattern(0, 2 * Chunk + 10));
        buffer.Commit(2 * Chunk + 10);
        Assert.Equal(3, buffer.ChunksHeld);

        var read = new byte[Chunk + 5];
        buffer.Read(read, out _);
        buffer.Reclaim();
        Assert.Equal(2, buffer.ChunksHeld); // the first is read to its end; the second only in part
        Assert.Equal(1, pool.SpareChunks);

        buffer.Read(new byte[2 * Chunk], out _);
        buffer.Reclaim();
        Assert.Equal(0, buffer.ChunksHeld); // everything written is read: the partly used last chunk goes too
        Assert.Equal(0, pool.ChunksInUse);

        // The next bytes land in the middle of a chunk the buffer gave back: it takes one again, from the pool.
        buffer.WriteAt(0, Pattern(2 * Chunk + 10, 100));
        buffer.Commit(100);
        Assert.Equal(3, pool.ChunksCreated);
        Assert.Equal(100, buffer.Read(read, out _));
        Assert.Equal(Pattern(2 * Chunk + 10, 100), read[..100]);
    }

    [Fact]
    public void A_send_buffer_offers_room_up_to_its_limit_and_frees_acknowledged_chunks()
    {
        var pool = new ChunkPool();
        var buffer = new ChunkedByteBuffer(pool, 1 << 20, 3 * Chunk);
        Assert.Equal(3 * Chunk, buffer.TryAppend(Pattern(0, 4 * Chunk)));
        Assert.Equal(0, buffer.TryAppend(Pattern(0, 1)));
        var copy = new byte[100];
        buffer.CopyTo(Chunk - 50, copy); // a retransmission across a chunk boundary, without consuming
        Assert.Equal(Pattern(Chunk - 50, 100), copy);

        buffer.Discard(Chunk + 1);
        Assert.Equal(2, buffer.ChunksHeld);
        buffer.Limit = 8 * Chunk; // grown: room for more
        Assert.Equal(6 * Chunk + 1, buffer.TryAppend(Pattern(3 * Chunk, 8 * Chunk)));
        buffer.CopyTo(buffer.Count - 10, copy.AsSpan(0, 10));
        Assert.Equal(Pattern(9 * Chunk + 1 - 10, 10), copy[..10]);
    }

    [Fact]
    public void A_send_buffer_with_everything_acknowledged_gives_its_last_chunk_back_and_appends_into_a_new_one()
    {
        var pool = new ChunkPool();
        var buffer = new ChunkedByteBuffer(pool, 1 << 20, 1 << 20);
        buffer.TryAppend(Pattern(0, Chunk + 100));
        buffer.Discard(Chunk + 100);
        Assert.Equal(1, buffer.ChunksHeld); // the chunk the application appends to next
        buffer.ReleaseTail();
        Assert.Equal(0, buffer.ChunksHeld);
        Assert.Equal(0, pool.ChunksInUse);
        Assert.Equal(50, buffer.TryAppend(Pattern(Chunk + 100, 50)));
        var copy = new byte[50];
        buffer.CopyTo(0, copy);
        Assert.Equal(Pattern(Chunk + 100, 50), copy);
    }

    [Fact]
    public void A_read_that_passes_the_position_asked_about_says_so_once()
    {
        var buffer = new ChunkedByteBuffer(new ChunkPool(), 1 << 20, 1 << 20);
        buffer.WriteAt(0, new byte[1000]);
        buffer.Commit(1000);
        Assert.False(buffer.SetNotifyAt(300));
        var read = new byte[200];
        Assert.Equal(200, buffer.Read(read, out bool notify));
        Assert.False(notify);
        buffer.Read(read, out notify);
        Assert.True(notify); // 200 → 400 passes 300
        buffer.Read(read, out notify);
        Assert.False(notify);
        Assert.True(buffer.SetNotifyAt(500)); // already past: the poll thread acts itself
    }
}
