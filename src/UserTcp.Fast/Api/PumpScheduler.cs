using UserTcp.Fast.Time;

namespace UserTcp.Fast.Api;

/// <summary>
/// Which <see cref="StreamPump"/>s the poll thread runs in a turn: those whose connection the engine changed (a segment,
/// a timer, a failure, its end: <see cref="Tcp.IConnectionObserver"/>) and those an application thread asked for (a
/// read, a write, a shutdown, an abort, a dispose). A turn's cost follows what happened, not how many connections are
/// open: 10,000 idle connections cost a turn nothing, where visiting every pump every turn cost each frame all of them.
/// <para>
/// Requests come from any thread through a lock-free stack threaded through the pumps (no allocation). Memory model: an
/// application thread publishes its change (a buffer position, a flag), then swaps the pump's requested flag
/// (Interlocked: a full fence) and pushes the pump only if the flag was clear. The poll thread takes the whole stack
/// (Interlocked.Exchange), clears each pump's flag (Interlocked again) and only then runs it. A request that found the
/// flag set came before that clear in the flag's order, so its change is visible to the pass that follows the clear;
/// one that comes after the clear pushes the pump again for the next turn. Nothing is missed, and no store-then-load
/// pair lacks its fence.
/// </para>
/// </summary>
internal sealed class PumpScheduler(Action wake)
{
    private readonly HashSet<StreamPump> _live = new(); // poll thread: every pump not yet done
    private readonly List<StreamPump> _due = new(64);    // poll thread: this turn's
    private StreamPump? _requests;                         // pushed by any thread, taken whole by the poll thread
    private int _wakePending;                              // 1: a RequestNow since the last turn's start has woken (or wakes) the thread

    /// <summary>Pumps not yet done.</summary>
    public int Count => _live.Count;

    /// <summary>Passes run so far (poll thread): what the turns cost the pumps.</summary>
    public long Passes { get; private set; }

    /// <summary>Poll thread: a new pump, told of its connection's changes from now on and run this turn.</summary>
    public void Add(StreamPump pump)
    {
        _live.Add(pump);
        pump.Connection.Observer = pump;
        MarkDue(pump);
    }

    /// <summary>Poll thread: <paramref name="pump"/> runs this turn (again, if it already ran).</summary>
    public void MarkDue(StreamPump pump)
    {
        if (pump.IsDue) return;
        pump.IsDue = true;
        _due.Add(pump);
    }

    /// <summary>Any thread, after publishing a change: <paramref name="pump"/> runs in the poll thread's next turn (the
    /// caller wakes the thread if it must not wait for a frame or a timer).</summary>
    public void Request(StreamPump pump)
    {
        if (Interlocked.Exchange(ref pump.Requested, 1) != 0) return; // queued and not yet taken: that pass sees this change
        StreamPump? head;
        do
        {
            head = Volatile.Read(ref _requests);
            pump.NextRequested = head;
        }
        while (Interlocked.CompareExchange(ref _requests, pump, head) != head);
    }

    /// <summary>
    /// Any thread: <see cref="Request"/>, and the poll thread's next turn comes at once. One wake (a write(2) to its
    /// eventfd) per turn, not per request: a stream written in 4 KiB pieces (Kestrel's pipe blocks) paid a system call per
    /// piece. The request is queued first, then <see cref="_wakePending"/> swapped (Interlocked: a full fence); the poll
    /// thread clears the flag (Interlocked) before it takes the queue. A caller that finds the flag set swapped before that
    /// clear, so its request, queued before its swap, is in the queue the turn takes; the caller that set the flag wakes
    /// the thread for that turn (or, if the turn was already under way, for a spare one). A caller after the clear finds
    /// it clear and wakes the thread itself.
    /// </summary>
    public void RequestNow(StreamPump pump)
    {
        Request(pump);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0) wake();
    }

    /// <summary>Poll thread, every turn: runs the requested pumps and those whose connections changed.</summary>
    public void RunDue(Instant now)
    {
        Interlocked.Exchange(ref _wakePending, 0); // before the queue is taken: see RequestNow
        for (var pump = Interlocked.Exchange(ref _requests, null); pump is not null;)
        {
            var next = pump.NextRequested; // before the clear: a new request may push it onto the next stack
            pump.NextRequested = null;
            Interlocked.Exchange(ref pump.Requested, 0);
            MarkDue(pump);
            pump = next;
        }
        for (int i = 0; i < _due.Count; i++) // a pass may mark more, its own pump included (its connection ended)
        {
            var pump = _due[i];
            pump.IsDue = false;
            Passes++;
            if (!pump.Pump(now) && _live.Remove(pump)) pump.Connection.Observer = null;
        }
        _due.Clear();
    }

    /// <summary>Poll thread, as the stack shuts down: every stream's connection closes as its Dispose closes it.</summary>
    public void CloseAll()
    {
        foreach (var pump in _live)
        {
            pump.CloseForShutdown();
            MarkDue(pump);
        }
    }

    /// <summary>Poll thread, as it stops: every application wait ends with OperationAborted.</summary>
    public void AbandonAll()
    {
        foreach (var pump in _live) pump.Abandon();
        _live.Clear();
        _due.Clear();
    }
}
