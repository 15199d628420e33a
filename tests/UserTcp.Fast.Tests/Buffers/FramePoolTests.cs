using UserTcp.Fast.Buffers;

namespace UserTcp.Fast.Tests.Buffers;

public class FramePoolTests
{
    [Theory]
    [InlineData(0, 2048)]
    [InlineData(-1, 2048)]
    [InlineData(4, 63)]
    public void Constructor_RejectsBadSizes(int bufferCount, int bufferSize) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FramePool(bufferCount, bufferSize));

    [Fact]
    public void RentingEveryBuffer_ThenExhaustionReturnsFalseAndIsCounted()
    {
        var pool = new FramePool(8, 64);
        Assert.Equal((8, 64, 8), (pool.BufferCount, pool.BufferSize, pool.Available));
        for (int i = 0; i < 8; i++)
        {
            Assert.True(pool.TryRent(out var buffer));
            Assert.True(buffer.IsValid);
            Assert.Equal(64, buffer.Span.Length);
            Assert.Equal(7 - i, pool.Available);
        }

        Assert.False(pool.TryRent(out var none));
        Assert.False(none.IsValid);
        Assert.False(pool.TryRent(out _));
        Assert.Equal(2, pool.Exhausted);
        Assert.Equal(0, pool.Available);
    }

    [Fact]
    public void ReturnedBuffer_CanBeRentedAgain()
    {
        var pool = new FramePool(2, 64);
        Assert.True(pool.TryRent(out var first));
        Assert.True(pool.TryRent(out _));
        Assert.False(pool.TryRent(out _));

        pool.Return(first);

        Assert.Equal(1, pool.Available);
        Assert.True(pool.TryRent(out var again));
        Assert.True(first.Span == again.Span, "the returned buffer is the one rented next");
        Assert.Equal(1, pool.Exhausted);
    }

    [Fact]
    public void ReturningTwice_Throws_AndLeavesThePoolIntact()
    {
        var pool = new FramePool(2, 64);
        Assert.True(pool.TryRent(out var buffer));
        pool.Return(buffer);

        Assert.Throws<InvalidOperationException>(() => pool.Return(buffer));

        Assert.Equal(2, pool.Available);
        Assert.True(pool.TryRent(out var a));
        Assert.True(pool.TryRent(out var b));
        Assert.False(a.Span.Overlaps(b.Span), "the double return put the buffer on the free list twice");
    }

    [Fact]
    public void ReturningToAnotherPool_Throws()
    {
        var pool = new FramePool(2, 64);
        var other = new FramePool(2, 64);
        Assert.True(pool.TryRent(out var own));
        Assert.True(other.TryRent(out var foreign)); // the same index in the other pool, so only the owner check can catch it

        Assert.Throws<InvalidOperationException>(() => pool.Return(foreign));
        Assert.Throws<InvalidOperationException>(() => pool.Return(default));

        Assert.Equal(1, pool.Available);
        Assert.Equal(1, other.Available);
        pool.Return(own);
        Assert.Equal(2, pool.Available);
    }

    [Fact]
    public void Buffers_DoNotOverlap()
    {
        const int count = 16, size = 100;
        var pool = new FramePool(count, size);
        var buffers = new FrameBuffer[count];
        for (int i = 0; i < count; i++)
        {
            Assert.True(pool.TryRent(out buffers[i]));
            buffers[i].Span.Fill((byte)(i + 1));
        }

        for (int i = 0; i < count; i++)
        {
            Assert.Equal(size, buffers[i].Span.Length);
            Assert.True(buffers[i].Span.IndexOfAnyExcept((byte)(i + 1)) < 0, $"buffer {i} was overwritten by another");
            for (int j = i + 1; j < count; j++) Assert.False(buffers[i].Span.Overlaps(buffers[j].Span), $"buffers {i} and {j} overlap");
        }
    }

    [Fact]
    public unsafe void Pointer_IsTheSpansAddress_AndStaysPutAcrossCompactingCollections()
    {
        var pool = new FramePool(4, 256);
        var buffers = new FrameBuffer[4];
        var addresses = new nint[4];
        for (int i = 0; i < buffers.Length; i++)
        {
            Assert.True(pool.TryRent(out buffers[i]));
            fixed (byte* span = buffers[i].Span) Assert.True(span == buffers[i].Pointer, $"buffer {i}");
            addresses[i] = (nint)buffers[i].Pointer;
        }

        for (int round = 0; round < 3; round++)
        {
            GC.KeepAlive(new byte[1 << 16]);
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }

        for (int i = 0; i < buffers.Length; i++)
        {
            Assert.Equal(addresses[i], (nint)buffers[i].Pointer);
            fixed (byte* span = buffers[i].Span) Assert.Equal(addresses[i], (nint)span);
        }
    }
}
