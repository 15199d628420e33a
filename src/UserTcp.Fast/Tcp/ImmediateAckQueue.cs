using UserTcp.Fast.Tcp.Sack;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// ACKs the receiver owes one per segment (RFC 5681 §4.2: a duplicate ACK for each out-of-order segment, an ACK for each
/// segment that fills a hole; duplicates and challenge ACKs likewise), each with the acknowledgment number and SACK
/// blocks as of its segment, and whether the first block is a D-SACK, waiting for the connection's next flush. Fixed
/// capacity, allocated with the connection: when it is full the connection falls back to one ACK with the newest state.
/// </summary>
internal sealed class ImmediateAckQueue
{
    /// <summary>Enough for the three duplicate ACKs a sender without SACK counts (RFC 5681 §3.2) and more.</summary>
    public const int Capacity = 8;

    private readonly SeqNum[] _ack = new SeqNum[Capacity];
    private readonly int[] _blockCount = new int[Capacity];
    private readonly bool[] _dsack = new bool[Capacity];
    private readonly SeqRange[] _blocks = new SeqRange[Capacity * TcpOptions.MaxSackBlocks];
    private int _head;

    public int Count { get; private set; }
    public bool IsFull => Count == Capacity;

    /// <summary>Space for the SACK blocks of the next ACK; <see cref="Enqueue"/> then commits it.</summary>
    public Span<SeqRange> NextBlocks => _blocks.AsSpan(Slot(Count) * TcpOptions.MaxSackBlocks, TcpOptions.MaxSackBlocks);

    /// <summary>Queues an ACK of <paramref name="ack"/> with the first <paramref name="blockCount"/> of <see cref="NextBlocks"/>,
    /// the first of them a D-SACK block when <paramref name="dsack"/>.</summary>
    public void Enqueue(SeqNum ack, int blockCount, bool dsack)
    {
        int slot = Slot(Count);
        _ack[slot] = ack;
        _blockCount[slot] = blockCount;
        _dsack[slot] = dsack;
        Count++;
    }

    /// <summary>The oldest queued ACK: its acknowledgment number, SACK blocks (valid until the next change) and whether the
    /// first is a D-SACK block.</summary>
    public ReadOnlySpan<SeqRange> Peek(out SeqNum ack, out bool dsack)
    {
        ack = _ack[_head];
        dsack = _dsack[_head];
        return _blocks.AsSpan(_head * TcpOptions.MaxSackBlocks, _blockCount[_head]);
    }

    public void Dequeue()
    {
        _head = (_head + 1) % Capacity;
        Count--;
    }

    public void Clear() => Count = 0;

    private int Slot(int index) => (_head + index) % Capacity;
}
