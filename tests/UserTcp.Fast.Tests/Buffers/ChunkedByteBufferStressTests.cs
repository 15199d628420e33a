using UserTcp.Fast.Buffers;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tests.Runtime;

namespace UserTcp.Fast.Tests.Buffers;

/// <summary>
/// A receive buffer between two threads as the stack uses it: the producer (the poll thread's role) places random-sized
/// pieces, some out of order, commits, hands read chunks back and wakes the reader through a <see cref="ChangeSignal"/>;
/// the consumer (the application's role) reads into random-sized buffers and checks every byte. Both wake-ups are
/// exercised at every turn of a small buffer: the reader's wait for data, and the producer's wait for room, which only
/// the reader's notify (<see cref="ChunkedByteBuffer.Read"/> passing <see cref="ChunkedByteBuffer.SetNotifyAt"/>) ends.
/// A lost wake-up leaves a side waiting past the bound. Alone (<see cref="StressCollection"/>): both cores stay busy.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class ChunkedByteBufferStressTests
{
    private const long Total = 64L << 20;
    private const int Capacity = 64 << 10;
    private static readonly TimeSpan WaitBound = TimeSpan.FromSeconds(10);

    private sealed class Shared(ChunkedByteBuffer buffer)
    {
        public readonly ChunkedByteBuffer Buffer = buffer;
        public readonly ChangeSignal DataArrived = new(new PollThreadUsage());
        public readonly SemaphoreSlim Nudge = new(0);
        public static readonly Func<Shared, bool> HasData = static s => s.Buffer.Count > 0;
        public volatile string? Failure;
    }

    [Fact]
    public void Every_byte_arrives_in_order_and_neither_side_sleeps_through_a_wake_up()
    {
        var pool = new ChunkPool();
        var shared = new Shared(new ChunkedByteBuffer(pool, Capacity, Capacity));
        var producer = new Thread(() => shared.Failure ??= Produce(shared, new Random(1)));
        var consumer = new Thread(() => shared.Failure ??= Consume(shared, new Random(2)));
        producer.Start();
        consumer.Start();
        Assert.True(producer.Join(TimeSpan.FromMinutes(2)) && consumer.Join(TimeSpan.FromMinutes(2)), "a side neither finished nor gave up");
        Assert.Null(shared.Failure);
        shared.Buffer.Reclaim();
        Assert.Equal(0, shared.Buffer.ChunksHeld);
        Assert.Equal(0, pool.ChunksInUse);
        Assert.True(pool.ChunksCreated <= Capacity / ChunkPool.ChunkSize + 2, $"{pool.ChunksCreated} chunks created for a buffer of {Capacity} bytes");
    }

    /// <summary>
    /// A send buffer between two threads: the application appends random-sized pieces; the poll thread's role copies
    /// what is there (a segment), acknowledges it, and whenever everything is acknowledged hands back the last chunk the
    /// application appends to next (<see cref="ChunkedByteBuffer.ReleaseTail"/>), racing its appends. Every byte is
    /// checked, and the pool's count must come back to zero.
    /// </summary>
    [Fact]
    public void A_send_buffer_gives_its_last_chunk_back_while_the_application_appends_without_losing_a_byte()
    {
        var pool = new ChunkPool();
        var buffer = new ChunkedByteBuffer(pool, Capacity, Capacity);
        string? failure = null;
        var appender = new Thread(() =>
        {
            var random = new Random(3);
            var piece = new byte[4096];
            long position = 0;
            var spin = new SpinWait();
            while (position < Total && failure is null)
            {
                int n = 1 + random.Next(piece.Length);
                for (int i = 0; i < n; i++) piece[i] = ChunkedByteBufferTests.PatternByte(position + i);
                int taken = buffer.TryAppend(piece.AsSpan(0, (int)Math.Min(n, Total - position)));
                position += taken;
                if (taken == 0) spin.SpinOnce();
            }
        });
        var sender = new Thread(() =>
        {
            var random = new Random(4);
            var segment = new byte[1448];
            long position = 0, releases = 0;
            while (position < Total)
            {
                int available = buffer.Count;
                if (available == 0)
                {
                    buffer.ReleaseTail();
                    releases++;
                    Thread.SpinWait(random.Next(64));
                    continue;
                }
                int n = Math.Min(available, 1 + random.Next(segment.Length));
                buffer.CopyTo(0, segment.AsSpan(0, n));
                for (int i = 0; i < n; i++)
                {
                    if (segment[i] != ChunkedByteBufferTests.PatternByte(position + i))
                    {
                        failure = $"byte {position + i}: {segment[i]}, expected {ChunkedByteBufferTests.PatternByte(position + i)}";
                        return;
                    }
                }
                buffer.Discard(n);
                position += n;
            }
            buffer.ReleaseTail();
            if (releases == 0) failure = "the sender never found the buffer empty: the test did not race the release";
        });
        appender.Start();
        sender.Start();
        Assert.True(appender.Join(TimeSpan.FromMinutes(2)) && sender.Join(TimeSpan.FromMinutes(2)), "a side did not finish");
        Assert.Null(failure);
        Assert.Equal(0, buffer.ChunksHeld);
        Assert.Equal(0, pool.ChunksInUse);
    }

    /// <summary>
    /// Direct delivery between two threads: the producer offers each in-order piece to a lent destination first (as the
    /// engine does), buffers the rest, and sometimes places a piece's tail out of order first (then nothing may go direct);
    /// the reader reads what is buffered, and when nothing is, lends its buffer, waits or not at all (taking it back while
    /// the producer may be copying), and checks every byte: those delivered where they belong, none past the count it was
    /// given, none written into its buffer after it took it back (the buffer is filled with a marker between loans).
    /// </summary>
    [Fact]
    public unsafe void Direct_delivery_races_the_reader_taking_its_buffer_back_without_losing_or_misplacing_a_byte()
    {
        const byte marker = 0xEE;
        var pool = new ChunkPool();
        var buffer = new ChunkedByteBuffer(pool, Capacity, Capacity);
        var arrived = new ChangeSignal(new PollThreadUsage());
        Func<ChunkedByteBuffer, bool> ready = static b => b.Count > 0 || b.DirectBytesWaiting;
        string? failure = null;
        long delivered = 0, emptyLoans = 0, fullLoans = 0;
        var producer = new Thread(() =>
        {
            var random = new Random(5);
            var piece = new byte[8192];
            long position = 0;
            var spin = new SpinWait();
            while (position < Total && failure is null)
            {
                int room = Capacity - (int)(position - buffer.Reclaim());
                if (room == 0)
                {
                    spin.SpinOnce(); // the reader frees room by reading
                    continue;
                }
                int n = (int)Math.Min(1 + random.Next(Math.Min(room, piece.Length)), Total - position);
                for (int i = 0; i < n; i++) piece[i] = ChunkedByteBufferTests.PatternByte(position + i);
                if (n > 1 && random.Next(4) == 0)
                {
                    int split = random.Next(1, n);
                    buffer.WriteAt(split, piece.AsSpan(split, n - split));
                    if (buffer.TryDeliverDirect(piece.AsSpan(0, split)) != 0) failure = "delivered directly past out-of-order bytes";
                    buffer.WriteAt(0, piece.AsSpan(0, split));
                    buffer.Commit(n);
                }
                else
                {
                    int direct = buffer.TryDeliverDirect(piece.AsSpan(0, n));
                    delivered += direct;
                    buffer.WriteAt(0, piece.AsSpan(direct, n - direct));
                    buffer.Commit(n - direct);
                }
                position += n;
                arrived.SetIf(ready, buffer);
            }
        });
        var reader = new Thread(() =>
        {
            var random = new Random(6);
            var destination = GC.AllocateArray<byte>(8192, pinned: true);
            destination.AsSpan().Fill(marker);
            long position = 0;
            while (position < Total && failure is null)
            {
                if (destination.AsSpan().IndexOfAnyExcept(marker) is var late and >= 0)
                {
                    failure = $"byte {late} of the reader's buffer was written after it was taken back (at {position})";
                    return;
                }
                int length = 1 + random.Next(destination.Length);
                int n = buffer.Read(destination.AsSpan(0, length), out _);
                if (n == 0)
                {
                    fixed (byte* lent = destination)
                    {
                        buffer.PostDirect(lent, length);
                        if (random.Next(4) != 0)
                        {
                            var wait = arrived.WaitUntilAsync(ready, buffer, CancellationToken.None);
                            if (!wait.IsCompleted && !wait.AsTask().Wait(2 * WaitBound))
                            {
                                failure = $"reader at {position}: nothing came for {2 * WaitBound.TotalSeconds} s";
                                buffer.CollectDirect();
                                return;
                            }
                        }
                        else
                        {
                            Thread.SpinWait(random.Next(200)); // take it back at once, racing a copy into it
                        }
                        n = buffer.CollectDirect();
                    }
                    if (destination.AsSpan(n, length - n).IndexOfAnyExcept(marker) is var past and >= 0)
                    {
                        failure = $"the producer wrote byte {n + past} of a loan it reported {n} bytes for (at {position})";
                        return;
                    }
                    if (n == 0)
                    {
                        emptyLoans++;
                        continue;
                    }
                    fullLoans++;
                }
                for (int i = 0; i < n; i++)
                {
                    if (destination[i] != ChunkedByteBufferTests.PatternByte(position + i))
                    {
                        failure = $"byte {position + i}: {destination[i]}, expected {ChunkedByteBufferTests.PatternByte(position + i)}";
                        return;
                    }
                }
                destination.AsSpan(0, n).Fill(marker);
                position += n;
            }
        });
        producer.Start();
        reader.Start();
        Assert.True(producer.Join(TimeSpan.FromMinutes(2)) && reader.Join(TimeSpan.FromMinutes(2)), "a side neither finished nor gave up");
        Assert.Null(failure);
        Assert.True(delivered > 0 && fullLoans > 100 && emptyLoans > 100,
            $"the race was not exercised: {delivered} bytes delivered directly in {fullLoans} loans, {emptyLoans} taken back empty");
        buffer.Reclaim();
        Assert.Equal(0, buffer.ChunksHeld);
        Assert.Equal(0, pool.ChunksInUse);
    }

    private static string? Produce(Shared shared, Random random)
    {
        var buffer = shared.Buffer;
        var piece = new byte[Capacity];
        long position = 0;
        long waits = 0;
        while (position < Total)
        {
            if (shared.Failure is not null) return null;
            long read = buffer.Reclaim();
            int room = (int)Math.Min(Capacity - (position - read), Total - position);
            int wanted = 1 + random.Next(Math.Min(Capacity / 2, (int)(Total - position)));
            if (room < wanted)
            {
                // As the engine's window update: hear from the reader once it has freed enough.
                if (buffer.SetNotifyAt(position - Capacity + wanted)) continue;
                waits++;
                if (!shared.Nudge.Wait(WaitBound)) return $"producer at {position}: the reader freed room but never said so ({waits} waits)";
                continue;
            }
            int n = wanted;
            for (int i = 0; i < n; i++) piece[i] = ChunkedByteBufferTests.PatternByte(position + i);
            if (n > 1 && random.Next(3) == 0)
            {
                int split = random.Next(1, n); // the tail first, as out-of-order data, then the hole
                buffer.WriteAt(split, piece.AsSpan(split, n - split));
                buffer.WriteAt(0, piece.AsSpan(0, split));
            }
            else
            {
                buffer.WriteAt(0, piece.AsSpan(0, n));
            }
            buffer.Commit(n);
            position += n;
            shared.DataArrived.SetIf(Shared.HasData, shared);
        }
        return waits == 0 ? "the producer never had to wait: the test did not exercise the reader's notify" : null;
    }

    private static string? Consume(Shared shared, Random random)
    {
        var buffer = shared.Buffer;
        var destination = new byte[Capacity];
        long position = 0;
        long waits = 0;
        while (position < Total)
        {
            if (shared.Failure is not null) return null;
            int n = buffer.Read(destination.AsSpan(0, 1 + random.Next(destination.Length)), out bool notify);
            if (notify) shared.Nudge.Release();
            if (n == 0)
            {
                waits++;
                var wait = shared.DataArrived.WaitUntilAsync(Shared.HasData, shared, CancellationToken.None);
                // Twice the producer's bound: a producer stuck for want of the reader's notify reports that first.
                if (!wait.IsCompleted && !wait.AsTask().Wait(2 * WaitBound))
                    return buffer.Count > 0
                        ? $"reader at {position}: bytes were committed but the reader slept through the signal ({waits} waits)"
                        : $"reader at {position}: no bytes came for {2 * WaitBound.TotalSeconds} s ({waits} waits)";
                continue;
            }
            for (int i = 0; i < n; i++)
            {
                if (destination[i] != ChunkedByteBufferTests.PatternByte(position + i))
                    return $"byte {position + i}: {destination[i]}, expected {ChunkedByteBufferTests.PatternByte(position + i)}";
            }
            position += n;
        }
        return waits == 0 ? "the reader never had to wait: the test did not exercise the data signal" : null;
    }
}
