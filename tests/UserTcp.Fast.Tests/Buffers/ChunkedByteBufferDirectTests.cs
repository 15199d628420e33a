using UserTcp.Fast.Buffers;

namespace UserTcp.Fast.Tests.Buffers;

/// <summary>
/// Direct delivery on one thread, step by step: the producer copies in-order bytes into the destination a consumer lent
/// only while nothing is buffered, adds to it until it is full, moves both positions past what it delivered, takes no
/// chunk for it, and never touches a destination taken back.
/// </summary>
public sealed unsafe class ChunkedByteBufferDirectTests
{
    private static byte[] Pattern(long start, int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = ChunkedByteBufferTests.PatternByte(start + i);
        return bytes;
    }

    [Fact]
    public void Bytes_land_in_the_lent_destination_already_read_and_without_a_chunk()
    {
        var buffer = new ChunkedByteBuffer(new ChunkPool(), 1 << 20, 1 << 20);
        var destination = new byte[1000];
        fixed (byte* lent = destination)
        {
            Assert.Equal(0, buffer.TryDeliverDirect(Pattern(0, 10))); // nothing lent yet
            Assert.True(buffer.PostDirect(lent, destination.Length));
            Assert.False(buffer.DirectBytesWaiting);
            Assert.Equal(300, buffer.TryDeliverDirect(Pattern(0, 300)));
            Assert.True(buffer.DirectBytesWaiting);
            Assert.Equal(500, buffer.TryDeliverDirect(Pattern(300, 500))); // more, until it is full
            Assert.Equal(200, buffer.TryDeliverDirect(Pattern(800, 400))); // the rest does not fit
            Assert.Equal(0, buffer.TryDeliverDirect(Pattern(1000, 200)));
            Assert.Equal(1000, buffer.CollectDirect());
        }
        Assert.Equal(Pattern(0, 1000), destination);
        Assert.Equal(1000, buffer.WrittenPosition);
        Assert.Equal(1000, buffer.ReadPosition);
        Assert.Equal(0, buffer.Count);
        Assert.Equal(0, buffer.ChunksHeld);
        Assert.False(buffer.DirectBytesWaiting);
        Assert.Equal(0, buffer.TryDeliverDirect(Pattern(1000, 10))); // taken back: the producer buffers again

        buffer.WriteAt(0, Pattern(1000, 10));
        buffer.Commit(10);
        var read = new byte[10];
        Assert.Equal(10, buffer.Read(read, out _)); // the ordinary path goes on from the moved position
        Assert.Equal(Pattern(1000, 10), read);
    }

    [Fact]
    public void Buffered_bytes_readable_or_out_of_order_keep_the_producer_off_the_destination()
    {
        var destination = new byte[100];
        fixed (byte* lent = destination)
        {
            var readable = new ChunkedByteBuffer(new ChunkPool(), 1 << 20, 1 << 20);
            readable.WriteAt(0, Pattern(0, 10));
            readable.Commit(10);
            Assert.True(readable.PostDirect(lent, destination.Length));
            Assert.Equal(0, readable.TryDeliverDirect(Pattern(10, 10))); // it would pass the 10 bytes before it
            Assert.Equal(0, readable.CollectDirect());

            var holding = new ChunkedByteBuffer(new ChunkPool(), 1 << 20, 1 << 20);
            holding.WriteAt(50, Pattern(50, 10)); // out of order, beyond a hole
            Assert.True(holding.PostDirect(lent, destination.Length));
            Assert.Equal(0, holding.TryDeliverDirect(Pattern(0, 10)));
            Assert.Equal(0, holding.CollectDirect());
        }
        Assert.All(destination, b => Assert.Equal(0, b));
    }

    [Fact]
    public void A_destination_taken_back_unfilled_gets_nothing_and_the_detached_buffer_takes_no_loan()
    {
        var buffer = new ChunkedByteBuffer(new ChunkPool(), 1 << 20, 1 << 20);
        var destination = new byte[100];
        fixed (byte* lent = destination)
        {
            Assert.True(buffer.PostDirect(lent, destination.Length));
            Assert.Equal(0, buffer.CollectDirect());
            Assert.Equal(0, buffer.TryDeliverDirect(Pattern(0, 10)));
            Assert.False(ChunkedByteBuffer.Detached.PostDirect(lent, destination.Length));
            Assert.Equal(0, ChunkedByteBuffer.Detached.TryDeliverDirect(Pattern(0, 10)));
        }
        Assert.All(destination, b => Assert.Equal(0, b));
        Assert.Equal(0, buffer.WrittenPosition);
    }
}
