namespace UserTcp.Fast.Buffers;

/// <summary>
/// A byte stream between one producer and one consumer, held in <see cref="ChunkPool"/> chunks taken only when bytes
/// land in them and handed back once every byte in them is consumed: memory follows what is buffered, not the window.
/// Positions are absolute (64-bit, never wrapping); the chunk of position p lives in slot (p / ChunkSize) mod slots, and
/// with <see cref="Capacity"/> / ChunkSize + 2 slots no two live chunks share one. Bytes may be written past the
/// readable end (out-of-order data, placed where it belongs) and later made readable (<see cref="Commit"/>).
/// <para>
/// Two uses, both with chunks handed back on the poll thread only. Receive: the poll thread produces (and takes chunks),
/// the application consumes with <see cref="Read"/> and the poll thread returns what it has read (<see cref="Reclaim"/>).
/// Send: the application produces (<see cref="TryAppend"/>, taking chunks from the thread-safe pool), the poll thread
/// consumes (<see cref="CopyTo"/> for every transmission, <see cref="Discard"/> when bytes are acknowledged), returning
/// chunks as it goes.
/// </para>
/// <para>
/// Memory model. Each side writes only its own position and publishes it with a release store (Volatile.Write) after its
/// work on the bytes; the other side reads it with an acquire load (Volatile.Read) before touching bytes. So the consumer
/// sees every chunk reference and byte the producer stored before publishing <c>_written</c>, and a chunk is reused only
/// after the consumer's copy out of it (it published <c>_read</c> past it). One place needs more: the consumer's "tell
/// the poll thread when you pass <c>_notifyAt</c>" handshake (<see cref="Read"/>, <see cref="SetNotifyAt"/>) is, on each
/// side, a store of its own field followed by a load of the other's, which neither volatile nor x86 keeps in order (a
/// store may wait in the store buffer while the later load runs): without a full fence on both sides each could read the
/// other's old value, the reader would not nudge and the poll thread would not see the read, and a window update would
/// wait for the next frame or timer. Interlocked.MemoryBarrier on both sides makes at least one of them see the other.
/// </para>
/// <para>
/// Direct delivery (receive). A consumer about to block may lend the producer its destination (<see cref="PostDirect"/>);
/// while nothing is buffered, the producer copies in-order bytes straight there (<see cref="TryDeliverDirect"/>) and moves
/// both positions past them, as if written and read at once: one copy from the capture instead of two, no chunk taken.
/// Who may touch the destination is one state word changed only by compare-and-swap: Posted (the producer may claim it),
/// Busy (the producer is copying), Filled (bytes are there; the producer may claim it again to add more), Idle (the
/// consumer has it back). The consumer takes it back with <see cref="CollectDirect"/> before its destination goes out of
/// scope, waiting out a copy in progress, so no byte lands in memory it no longer lends. The producer publishes the
/// positions it moved before it stores Filled (release), and the consumer's compare-and-swap that takes Filled is a full
/// fence: its next read starts from the moved position. A store of new bytes racing the post needs no fence: whichever
/// side misses the other, the bytes are buffered and the ordinary wake-up of the reader follows.
/// </para>
/// </summary>
internal sealed class ChunkedByteBuffer
{
    private const int ChunkShift = ChunkPool.ChunkShift;
    private const int ChunkSize = ChunkPool.ChunkSize;
    private const int ChunkMask = ChunkSize - 1;
    private const int DirectIdle = 0, DirectPosted = 1, DirectBusy = 2, DirectFilled = 3;

    private readonly byte[]?[] _chunks;
    private readonly ChunkPool? _pool;
    private long _written;   // producer: end of the readable bytes (published)
    private long _read;      // consumer: start of the readable bytes (published)
    private long _highest;   // producer: end of the furthest byte written, out-of-order data included
    private long _firstHeld; // poll thread: every chunk below this index has been handed back
    private int _held;       // chunks held now (the application may take one while the poll thread returns another)
    private long _notifyAt = long.MaxValue;
    private int _limit;
    private int _directState;  // receive: DirectIdle, DirectPosted, DirectBusy or DirectFilled (see the class comment)
    private nint _directTarget;  // receive: the consumer's destination while posted
    private int _directLength;
    private int _directFilled;
    private int _producing;    // send: 1 while the application is inside TryAppend
    private int _claimingTail; // send: 1 while the poll thread hands back the chunk the application would write into next
    private bool _sealed;      // send: the writer shut down; the limit stays 0

    public ChunkedByteBuffer(ChunkPool pool, int capacity, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _pool = pool;
        _chunks = new byte[]?[(capacity + ChunkSize - 1) / ChunkSize + 2];
        Capacity = capacity;
        _limit = Math.Min(limit, capacity);
    }

    private ChunkedByteBuffer() => _chunks = [];

    /// <summary>
    /// A buffer of no capacity that stands in for one given up: it holds nothing and admits nothing. Shared: nothing
    /// can change it (no write fits, every position stays 0).
    /// </summary>
    public static ChunkedByteBuffer Detached { get; } = new();

    /// <summary>The most bytes it may ever hold (readable and out-of-order ones together).</summary>
    public int Capacity { get; }

    /// <summary>The bytes it may hold now (up to <see cref="Capacity"/>): a receive buffer's space, or the room a send buffer
    /// offers its writer. Set by the poll thread; the application reads it.</summary>
    public int Limit
    {
        get => Volatile.Read(ref _limit);
        set => Volatile.Write(ref _limit, _sealed ? 0 : Math.Min(value, Capacity));
    }

    /// <summary>Readable bytes, as either side sees them (the other side's position may have moved on since).</summary>
    public int Count => (int)(Volatile.Read(ref _written) - Volatile.Read(ref _read));
    public long WrittenPosition => Volatile.Read(ref _written);
    public long ReadPosition => Volatile.Read(ref _read);
    /// <summary>Chunks held now; their bytes are this buffer's memory.</summary>
    public int ChunksHeld => Volatile.Read(ref _held);

    // ---------------------------------------------------------------- producer

    /// <summary>Producer: writes <paramref name="data"/> <paramref name="offset"/> bytes past the readable end, taking
    /// chunks where there are none. The caller keeps the end within <see cref="Capacity"/> of the read position.</summary>
    public void WriteAt(int offset, ReadOnlySpan<byte> data)
    {
        long position = _written + offset;
        while (!data.IsEmpty)
        {
            ref byte[]? chunk = ref _chunks[Slot(position >> ChunkShift)];
            if (chunk is null)
            {
                chunk = _pool!.Rent();
                Interlocked.Increment(ref _held);
            }
            int at = (int)(position & ChunkMask);
            int n = Math.Min(data.Length, ChunkSize - at);
            data[..n].CopyTo(chunk.AsSpan(at));
            data = data[n..];
            position += n;
        }
        if (position > _highest) _highest = position;
    }

    /// <summary>Producer: makes <paramref name="length"/> more bytes readable (written before with <see cref="WriteAt"/>).</summary>
    public void Commit(int length)
    {
        long written = _written + length;
        if (written > _highest) _highest = written;
        Volatile.Write(ref _written, written); // release: the chunks and bytes before it are visible with it
    }

    /// <summary>Bytes delivered to a posted destination that its consumer has not collected yet (what a reader waits for).</summary>
    public bool DirectBytesWaiting => Volatile.Read(ref _directState) == DirectFilled;

    /// <summary>
    /// Producer of a receive buffer: copies the start of <paramref name="data"/> (the next in-order bytes) into the
    /// destination a consumer posted, if one is posted and nothing is buffered (readable or out of order), and moves both
    /// positions past them; returns the bytes taken (0: none, write them with <see cref="WriteAt"/> as usual).
    /// </summary>
    public unsafe int TryDeliverDirect(ReadOnlySpan<byte> data)
    {
        int state = Volatile.Read(ref _directState);
        if (state is not (DirectPosted or DirectFilled) || data.IsEmpty) return 0;
        if (_written != Volatile.Read(ref _read) || _highest != _written) return 0; // bytes buffered go first
        if (Interlocked.CompareExchange(ref _directState, DirectBusy, state) != state) return 0; // collected meanwhile
        int n = Math.Min(data.Length, _directLength - _directFilled);
        if (n == 0)
        {
            Volatile.Write(ref _directState, state); // full: the rest is buffered
            return 0;
        }
        data[..n].CopyTo(new Span<byte>((byte*)_directTarget + _directFilled, n));
        _directFilled += n;
        long position = _written + n;
        _highest = position;
        Volatile.Write(ref _read, position);
        Volatile.Write(ref _written, position);
        Volatile.Write(ref _directState, DirectFilled); // release: the bytes and positions before it
        return n;
    }

    /// <summary>Producer: appends as much of <paramref name="data"/> as <see cref="Limit"/> leaves room for; returns the
    /// bytes taken.</summary>
    public int TryAppend(ReadOnlySpan<byte> data)
    {
        // The other half of ReleaseTail's handshake: store _producing, then load _claimingTail (a full fence between).
        Interlocked.Exchange(ref _producing, 1);
        var spin = new SpinWait();
        while (Volatile.Read(ref _claimingTail) != 0) spin.SpinOnce(); // a few instructions on the poll thread
        // _read (acquire) before Limit: ReleaseWhileProducing stores Limit = 0 before it releases its new _read, so whoever
        // reads that _read sees the zero limit too. Limit first could pair the old, large limit with the new _read: room up
        // to Capacity ahead, into the slots of chunks the poll thread is handing back to the pool (another connection's).
        long read = Volatile.Read(ref _read);
        int room = Limit - (int)(_written - read);
        int n = Math.Clamp(room, 0, data.Length);
        if (n > 0)
        {
            WriteAt(0, data[..n]);
            Commit(n);
        }
        Volatile.Write(ref _producing, 0);
        return n;
    }

    // ---------------------------------------------------------------- consumer

    /// <summary>
    /// Consumer: copies up to destination.Length readable bytes out and consumes them. <paramref name="notify"/> says
    /// this read passed the position the poll thread asked to hear about (<see cref="SetNotifyAt"/>).
    /// </summary>
    public int Read(Span<byte> destination, out bool notify)
    {
        notify = false;
        long read = _read;
        int n = (int)Math.Min(destination.Length, Volatile.Read(ref _written) - read); // acquire: the bytes are there
        if (n <= 0) return 0;
        CopyOut(read, destination[..n]);
        long after = read + n;
        Volatile.Write(ref _read, after); // release: the copy is done before the poll thread may hand the chunks back
        Interlocked.MemoryBarrier();      // store _read → load _notifyAt: see the class comment
        long notifyAt = Volatile.Read(ref _notifyAt);
        notify = read < notifyAt && after >= notifyAt;
        return n;
    }

    /// <summary>
    /// Consumer of a receive buffer, about to wait for bytes: lends <paramref name="length"/> bytes at
    /// <paramref name="destination"/> (pinned by the caller until <see cref="CollectDirect"/> returns) to the producer.
    /// False when this buffer takes no loan (the detached stand-in, shared by every stream that has one).
    /// </summary>
    public unsafe bool PostDirect(byte* destination, int length)
    {
        if (_pool is null || length <= 0) return false;
        _directTarget = (nint)destination;
        _directLength = length;
        _directFilled = 0;
        Interlocked.Exchange(ref _directState, DirectPosted); // after the fields: the producer reads them once it sees Posted
        return true;
    }

    /// <summary>Consumer: takes the destination posted with <see cref="PostDirect"/> back, waiting out a copy into it in
    /// progress; returns the bytes the producer delivered there (they are read: the position is past them).</summary>
    public int CollectDirect()
    {
        var spin = new SpinWait();
        while (true)
        {
            int state = Volatile.Read(ref _directState);
            if (state == DirectIdle) return 0;
            if (state != DirectBusy && Interlocked.CompareExchange(ref _directState, DirectIdle, state) == state)
                return state == DirectFilled ? _directFilled : 0;
            spin.SpinOnce(); // the producer is copying one segment (microseconds)
        }
    }

    /// <summary>Consumer: copies readable bytes from <paramref name="offset"/> past the read position without consuming.</summary>
    public void CopyTo(int offset, Span<byte> destination)
    {
        if ((uint)offset > (uint)Count || destination.Length > Count - offset) throw new ArgumentOutOfRangeException(nameof(offset));
        CopyOut(_read + offset, destination);
    }

    /// <summary>Consumer on the poll thread (a send buffer): consumes <paramref name="length"/> bytes and hands back every
    /// chunk now wholly consumed, before publishing the position: a producer that sees it finds those slots empty.</summary>
    public void Discard(int length)
    {
        if ((uint)length > (uint)Count) throw new ArgumentOutOfRangeException(nameof(length));
        long read = _read + length;
        ReturnChunks(read >> ChunkShift, read >> ChunkShift);
        Volatile.Write(ref _read, read);
    }

    /// <summary>Consumer on the poll thread (a send buffer): the <paramref name="length"/> readable bytes from
    /// <paramref name="offset"/> past the read position, as pieces of its chunks added to <paramref name="payload"/>, not
    /// copied. False when they take more pieces than it holds (then <paramref name="payload"/> is left empty).</summary>
    public bool TryReference(int offset, int length, ref SegmentPayload payload)
    {
        if ((uint)offset > (uint)Count || length > Count - offset) throw new ArgumentOutOfRangeException(nameof(offset));
        long position = _read + offset;
        while (length > 0)
        {
            var chunk = _chunks[Slot(position >> ChunkShift)]!;
            int at = (int)(position & ChunkMask);
            int n = Math.Min(length, ChunkSize - at);
            if (!payload.TryAdd(chunk.AsMemory(at, n)))
            {
                payload.Clear();
                return false;
            }
            length -= n;
            position += n;
        }
        return true;
    }

    private void CopyOut(long position, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var chunk = _chunks[Slot(position >> ChunkShift)]!;
            int at = (int)(position & ChunkMask);
            int n = Math.Min(destination.Length, ChunkSize - at);
            chunk.AsSpan(at, n).CopyTo(destination);
            destination = destination[n..];
            position += n;
        }
    }

    // ---------------------------------------------------------------- poll thread: notification and chunk ownership

    /// <summary>
    /// Poll thread: asks the consumer to say (<see cref="Read"/>'s notify) when its position reaches
    /// <paramref name="position"/> (long.MaxValue: never). Returns true when it already has: then nobody will say so.
    /// </summary>
    public bool SetNotifyAt(long position)
    {
        Volatile.Write(ref _notifyAt, position);
        Interlocked.MemoryBarrier(); // store _notifyAt → load _read: see the class comment
        return Volatile.Read(ref _read) >= position;
    }

    /// <summary>
    /// Poll thread, producer of a receive buffer: hands back every chunk the consumer has read to its end, and when it
    /// has read everything written (out-of-order bytes included) the partly read chunk too: an idle connection holds none.
    /// Returns the read position it went by: the producer must size its next writes from this one (a later, larger
    /// position could let a write reach the slot of a chunk not handed back yet).
    /// </summary>
    public long Reclaim()
    {
        long read = Volatile.Read(ref _read); // acquire: the consumer's copies out of these chunks are done
        long below = read == _highest ? (read + ChunkMask) >> ChunkShift : read >> ChunkShift;
        ReturnChunks(below, read >> ChunkShift);
        return read;
    }

    /// <summary>
    /// Poll thread, producer of a receive buffer the consumer has read to its end (or never will touch again): every chunk
    /// goes back, out-of-order bytes included (the connection is over).
    /// </summary>
    public void ReleaseAll()
    {
        if (_pool is null) return;
        for (int i = 0; i < _chunks.Length; i++)
        {
            if (_chunks[i] is not { } chunk) continue;
            _chunks[i] = null;
            _pool.Return(chunk);
            Interlocked.Decrement(ref _held);
        }
        _highest = _written;
        _firstHeld = _written >> ChunkShift;
    }

    /// <summary>
    /// Poll thread, consumer of a send buffer with every byte acknowledged: hands back the partly filled chunk the
    /// application would append to next, unless it is appending this very moment (then a later acknowledgment tries
    /// again). An idle connection then holds no chunk. The handshake with <see cref="TryAppend"/> is the store→load pair
    /// of the class comment: each side stores its flag, then loads the other's, with a full fence between; the
    /// application, finding the poll thread at work, waits for it, and then finds the slot empty and takes a new chunk.
    /// </summary>
    public void ReleaseTail()
    {
        if (_pool is null || Volatile.Read(ref _held) == 0) return;
        Interlocked.Exchange(ref _claimingTail, 1);
        if (Volatile.Read(ref _producing) == 0 && Volatile.Read(ref _written) == _read)
            ReturnChunks((_read + ChunkMask) >> ChunkShift, _read >> ChunkShift);
        Volatile.Write(ref _claimingTail, 0);
    }

    /// <summary>
    /// Poll thread, consumer of a send buffer whose writer shut down (the FIN goes after its bytes): no more room, ever.
    /// Returns the end of the bytes that made it in, the FIN's place; or -1 while the application is appending this very
    /// moment (ask again: once it is out, it finds no room). The store→load handshake of <see cref="ReleaseTail"/>: the
    /// zero limit is stored before the fenced flag, so an appender that comes after reads it and takes nothing.
    /// </summary>
    public long Seal()
    {
        _sealed = true;
        Limit = 0;
        Interlocked.Exchange(ref _claimingTail, 1);
        long end = Volatile.Read(ref _producing) == 0 ? Volatile.Read(ref _written) : -1;
        Volatile.Write(ref _claimingTail, 0);
        return end;
    }

    /// <summary>
    /// Poll thread, consumer of a send buffer whose connection is over: no more room for the application, and every
    /// chunk goes back, unless the application is appending this very moment: then the chunks it may be writing into
    /// (from its position on, and any it takes after this) are left to the garbage collector, not to another connection.
    /// </summary>
    public void ReleaseWhileProducing()
    {
        if (_pool is null) return;
        Limit = 0;
        Interlocked.Exchange(ref _claimingTail, 1);
        long written = Volatile.Read(ref _written); // the producer writes only at or after this from now on
        Volatile.Write(ref _read, written);
        if (Volatile.Read(ref _producing) == 0)
        {
            ReturnChunks((written + ChunkMask) >> ChunkShift, written >> ChunkShift); // an appender now finds no room
        }
        else
        {
            ReturnChunks(written >> ChunkShift, written >> ChunkShift);
            for (int i = 0; i < _chunks.Length; i++)
                if (_chunks[i] is not null) _pool.Abandon();
        }
        Volatile.Write(ref _claimingTail, 0);
    }

    /// <summary>Returns the chunks with indices below <paramref name="below"/>; the next pass starts at <paramref name="firstHeld"/>.</summary>
    private void ReturnChunks(long below, long firstHeld)
    {
        for (long index = Math.Max(_firstHeld, below - _chunks.Length); index < below; index++)
        {
            ref byte[]? chunk = ref _chunks[Slot(index)];
            if (chunk is null) continue;
            _pool!.Return(chunk);
            chunk = null;
            Interlocked.Decrement(ref _held);
        }
        if (firstHeld > _firstHeld) _firstHeld = firstHeld;
    }

    private int Slot(long chunkIndex) => (int)(chunkIndex % _chunks.Length);
}
