namespace UserTcp.Fast.Time;

/// <summary>
/// A hashed timing wheel: O(1) schedule, reschedule and cancel through intrusive handles (one per owner), and expiry
/// that visits only the ticks that passed. Timers fire exactly: an entry is due when its own deadline has passed, not
/// at a tick boundary, and the current tick's slot is looked at again next time. <see cref="NextDeadline"/> is the
/// exact earliest deadline, cached and recomputed only when that entry leaves. One thread uses it (the poll loop).
/// </summary>
internal sealed class TimerWheel<T> where T : class
{
    private const long Unset = long.MinValue;
    private readonly long _tickNanoseconds;
    private readonly Handle?[] _slots;
    private long _lastVisitedTick = Unset;  // ticks up to here hold no due entry
    private Instant _earliest = Instant.Never;
    private bool _earliestKnown = true;

    /// <summary>An owner's place in the wheel; not shared between wheels.</summary>
    public sealed class Handle(T owner)
    {
        public T Owner { get; } = owner;
        public Instant Deadline { get; internal set; } = Instant.Never;
        internal long Tick;
        internal Handle? Previous, Next;
        internal bool Linked;
    }

    public TimerWheel(TimeSpan tick, int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(tick, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 2);
        _tickNanoseconds = tick.Ticks * 100;
        _slots = new Handle?[slots];
    }

    public int Count { get; private set; }

    /// <summary>Arms (or moves, or with <see cref="Instant.Never"/> disarms) the handle's timer.</summary>
    public void Schedule(Handle handle, Instant deadline)
    {
        if (handle.Linked && handle.Deadline == deadline) return;
        Cancel(handle);
        if (deadline.IsNever) return;
        long tick = deadline.Nanoseconds / _tickNanoseconds;
        // Already due: found at the next expiry. (Before the first expiry the wheel has no position: nothing is clamped.)
        if (_lastVisitedTick != Unset && tick <= _lastVisitedTick) tick = _lastVisitedTick + 1;
        handle.Deadline = deadline;
        handle.Tick = tick;
        ref var head = ref _slots[tick % _slots.Length];
        handle.Previous = null;
        handle.Next = head;
        if (head is not null) head.Previous = handle;
        head = handle;
        handle.Linked = true;
        Count++;
        if (_earliestKnown && deadline < _earliest) _earliest = deadline;
    }

    public void Cancel(Handle handle)
    {
        if (!handle.Linked) return;
        if (handle.Previous is not null) handle.Previous.Next = handle.Next;
        else _slots[handle.Tick % _slots.Length] = handle.Next;
        if (handle.Next is not null) handle.Next.Previous = handle.Previous;
        handle.Previous = handle.Next = null;
        handle.Linked = false;
        Count--;
        if (handle.Deadline == _earliest) _earliestKnown = false;
        handle.Deadline = Instant.Never;
    }

    /// <summary>Removes every entry whose deadline is at or before <paramref name="now"/> and adds its owner to <paramref name="due"/>.</summary>
    public void Expire(Instant now, List<T> due)
    {
        long nowTick = now.Nanoseconds / _tickNanoseconds;
        if (_lastVisitedTick != Unset && nowTick <= _lastVisitedTick) return;
        // The first expiry looks at every slot once: entries were placed before the wheel knew the time.
        long from = _lastVisitedTick == Unset ? Math.Max(0, nowTick - _slots.Length + 1) : _lastVisitedTick + 1;
        long to = Math.Min(nowTick, from + _slots.Length - 1); // one rotation covers every slot
        for (long tick = from; tick <= to; tick++)
        {
            var entry = _slots[tick % _slots.Length];
            while (entry is not null)
            {
                var next = entry.Next;
                if (entry.Tick <= nowTick && entry.Deadline <= now)
                {
                    Cancel(entry);
                    due.Add(entry.Owner);
                }
                entry = next;
            }
        }
        // The current tick may still hold entries due later within it: look at its slot again next time.
        _lastVisitedTick = nowTick - 1;
    }

    /// <summary>The earliest armed deadline (<see cref="Instant.Never"/> when none).</summary>
    public Instant NextDeadline
    {
        get
        {
            if (!_earliestKnown)
            {
                _earliest = FindEarliest();
                _earliestKnown = true;
            }
            return _earliest;
        }
    }

    /// <summary>The first slot, in tick order, holding an entry of its own rotation has the earliest entries; entries
    /// of later rotations are later still. Only when a whole rotation is empty does it look at every entry.</summary>
    private Instant FindEarliest()
    {
        if (Count == 0) return Instant.Never;
        long start = _lastVisitedTick + 1;
        for (long tick = start; _lastVisitedTick != Unset && tick < start + _slots.Length; tick++)
        {
            var best = Instant.Never;
            for (var entry = _slots[tick % _slots.Length]; entry is not null; entry = entry.Next)
                if (entry.Tick == tick && entry.Deadline < best) best = entry.Deadline;
            if (!best.IsNever) return best;
        }
        var earliest = Instant.Never;
        foreach (var slot in _slots)
            for (var entry = slot; entry is not null; entry = entry.Next)
                earliest = Instant.Min(earliest, entry.Deadline);
        return earliest;
    }
}
