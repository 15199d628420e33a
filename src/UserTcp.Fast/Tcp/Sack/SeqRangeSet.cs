namespace UserTcp.Fast.Tcp.Sack;

/// <summary>
/// At most <see cref="MaxRanges"/> disjoint sequence ranges, sorted, with the recency of each. The receiver keeps
/// the out-of-order data it holds beyond RCV.NXT here and reports it as SACK blocks (RFC 2018 §4); the sender keeps
/// the ranges the peer SACKed above SND.UNA (its scoreboard, RFC 6675 §3). A range that cannot be tracked is
/// refused, never grown into: "too many holes" is a result the caller counts. In-order data needs no range.
/// </summary>
internal sealed class SeqRangeSet
{
    public const int MaxRanges = 32;

    private readonly SeqRange[] _ranges = new SeqRange[MaxRanges]; // sorted by Start, disjoint, not adjacent
    private readonly long[] _touched = new long[MaxRanges];          // recency stamp per range, for SACK block order
    private long _stamp;

    public int RangeCount { get; private set; }
    public bool IsEmpty => RangeCount == 0;

    /// <summary>Records [start, end) as held. Returns false when it would need a range beyond <see cref="MaxRanges"/>.</summary>
    public bool Add(SeqNum start, SeqNum end)
    {
        if (end - start <= 0) return true;
        int first = 0;
        while (first < RangeCount && _ranges[first].End < start) first++;
        int last = first;
        while (last < RangeCount && _ranges[last].Start <= end) last++;
        // Ranges first..last-1 touch or overlap [start, end): merge them into one.
        if (last == first)
        {
            if (RangeCount == MaxRanges) return false;
            Array.Copy(_ranges, first, _ranges, first + 1, RangeCount - first);
            Array.Copy(_touched, first, _touched, first + 1, RangeCount - first);
            RangeCount++;
            _ranges[first] = new SeqRange(start, end);
        }
        else
        {
            var merged = new SeqRange(SeqNum.Min(start, _ranges[first].Start), SeqNum.Max(end, _ranges[last - 1].End));
            int removed = last - first - 1;
            _ranges[first] = merged;
            if (removed > 0)
            {
                Array.Copy(_ranges, last, _ranges, first + 1, RangeCount - last);
                Array.Copy(_touched, last, _touched, first + 1, RangeCount - last);
                RangeCount -= removed;
            }
        }
        _touched[first] = ++_stamp;
        return true;
    }

    /// <summary>Whether <see cref="Add"/> would take [start, end): false only when it touches no held range and every range is in use.</summary>
    public bool CanAdd(SeqNum start, SeqNum end)
    {
        if (end - start <= 0 || RangeCount < MaxRanges) return true;
        for (int i = 0; i < RangeCount; i++)
            if (_ranges[i].End >= start && _ranges[i].Start <= end) return true;
        return false;
    }

    /// <summary>
    /// RCV.NXT advanced to <paramref name="receiveNext"/>: if held data now continues it, that range is consumed and
    /// its end returned (the new RCV.NXT); otherwise <paramref name="receiveNext"/> is returned. Older ranges are dropped.
    /// </summary>
    public SeqNum Advance(SeqNum receiveNext)
    {
        DropBelow(receiveNext);
        if (RangeCount > 0 && _ranges[0].Start <= receiveNext)
        {
            receiveNext = _ranges[0].End;
            DropBelow(receiveNext);
        }
        return receiveNext;
    }

    /// <summary>Forgets everything below <paramref name="sequence"/>, trimming a range that straddles it.</summary>
    public void DropBelow(SeqNum sequence)
    {
        int drop = 0;
        while (drop < RangeCount && _ranges[drop].End <= sequence) drop++;
        if (drop > 0)
        {
            Array.Copy(_ranges, drop, _ranges, 0, RangeCount - drop);
            Array.Copy(_touched, drop, _touched, 0, RangeCount - drop);
            RangeCount -= drop;
        }
        if (RangeCount > 0 && _ranges[0].Start < sequence) _ranges[0] = _ranges[0] with { Start = sequence };
    }

    /// <summary>The part of [start, end) inside the first held range it overlaps, if any (for D-SACK, RFC 2883 §4).</summary>
    public bool TryFindOverlap(SeqNum start, SeqNum end, out SeqRange overlap)
    {
        for (int i = 0; i < RangeCount && _ranges[i].Start < end; i++)
        {
            if (_ranges[i].End <= start) continue;
            overlap = new SeqRange(SeqNum.Max(start, _ranges[i].Start), SeqNum.Min(end, _ranges[i].End));
            return true;
        }
        overlap = default;
        return false;
    }

    /// <summary>Total bytes covered by the ranges.</summary>
    public long TotalLength
    {
        get
        {
            long total = 0;
            for (int i = 0; i < RangeCount; i++) total += _ranges[i].Length;
            return total;
        }
    }

    public void Clear() => RangeCount = 0;

    /// <summary>Writes up to destination.Length SACK blocks, most recently changed range first (RFC 2018 §4); returns the count.</summary>
    public int WriteSackBlocks(Span<SeqRange> destination)
    {
        int n = Math.Min(destination.Length, RangeCount);
        Span<long> taken = stackalloc long[n];
        for (int k = 0; k < n; k++)
        {
            int best = -1;
            for (int i = 0; i < RangeCount; i++)
            {
                if (taken[..k].Contains(_touched[i])) continue;
                if (best < 0 || _touched[i] > _touched[best]) best = i;
            }
            taken[k] = _touched[best];
            destination[k] = _ranges[best];
        }
        return n;
    }

    public SeqRange this[int index] => _ranges[index];
}
