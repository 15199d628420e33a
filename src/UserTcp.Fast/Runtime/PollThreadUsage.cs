using System.Globalization;
using UserTcp.Fast.Buffers;

namespace UserTcp.Fast.Runtime;

/// <summary>
/// What the poll thread costs: its managed allocations and its CPU time. Allocations come from
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> (a read of the thread's allocation context: no allocation, a few
/// nanoseconds), read at the end of every turn, around queued application commands and around wake-ups of application
/// threads, so they split four ways: new buffer chunks (<see cref="BufferGrowthBytes"/>), the commands' share (connect with its connection, counter reads: once per
/// connection or request), the wake-ups' (the runtime queues the woken continuation to the thread pool: 32 B the first
/// time a kind of continuation is queued, nothing after that here) and the stack's own work (receive, timers, pumping
/// streams, flush), whose bytes per frame are the hot path's figure.
/// The stack's own bytes are also recorded when the frame count first reaches each of a geometric series of marks
/// (1, 2, 3, 4, 6, 8, 12, …), so that a steady-state window, after the warm-up and before the connection's end, can be
/// chosen once the transfer is over without knowing its length in advance (<see cref="SteadyState"/>).
/// Written by the poll thread only; other threads read published values.
/// </summary>
internal sealed class PollThreadUsage
{
    /// <summary>Enough marks for 2^47 frames.</summary>
    private const int MarkCapacity = 96;

    /// <summary>
    /// Fewer frames have no steady state: the quarter set aside for the warm-up would not reach past two receive batches,
    /// and the window would hold the connection's own start (a 64 KiB page is 9 GSO frames).
    /// </summary>
    public const long SteadyStateMinimumFrames = 128;

    private readonly long[] _markFrames = new long[MarkCapacity];
    private readonly long[] _markStackBytes = new long[MarkCapacity];
    private int _marksReached;
    private long _totalBytes;
    private long _commandBytes;
    private long _wakeUpBytes;
    private long _bufferGrowthBytes;
    private long _frames;
    private int _threadId;
    private long _growthAtStart;

    /// <summary>Every managed byte the poll thread allocated, as of its last turn.</summary>
    public long TotalBytes => Volatile.Read(ref _totalBytes);

    /// <summary>The part of <see cref="TotalBytes"/> allocated by queued application commands.</summary>
    public long CommandBytes => Volatile.Read(ref _commandBytes);

    /// <summary>The part of <see cref="TotalBytes"/> allocated while waking application threads.</summary>
    public long WakeUpBytes => Volatile.Read(ref _wakeUpBytes);

    /// <summary>The part of <see cref="TotalBytes"/> allocated for new buffer chunks (<see cref="ChunkPool"/>): buffers
    /// growing with the connections' windows until the pool holds what they need, bounded by their maxima.</summary>
    public long BufferGrowthBytes => Volatile.Read(ref _bufferGrowthBytes);

    /// <summary>The part of <see cref="TotalBytes"/> allocated by the stack's own work.</summary>
    public long StackBytes => TotalBytes - CommandBytes - WakeUpBytes - BufferGrowthBytes;

    /// <summary>Frames the loop received, as of its last turn.</summary>
    public long Frames => Volatile.Read(ref _frames);

    /// <summary>
    /// The steady-state window of what has run so far: from the last mark at or below a quarter of the frames (the
    /// warm-up: first calls, JIT tiers, the connection's start) to the last mark at or below seven eighths of them (so
    /// the connection's end, at least an eighth of the frames later, stays outside). Null below
    /// <see cref="SteadyStateMinimumFrames"/>. The window holds at least a third of the frames (marks are at most 1.5 apart).
    /// </summary>
    public (long FirstFrame, long LastFrame, long StackBytes)? SteadyState()
    {
        int reached = Volatile.Read(ref _marksReached);
        long frames = Frames;
        if (frames < SteadyStateMinimumFrames) return null;
        int start = LastMarkAtOrBelow(frames / 4, reached), end = LastMarkAtOrBelow(frames - frames / 8, reached);
        if (start < 0 || end <= start || _markFrames[end] <= _markFrames[start]) return null;
        return (_markFrames[start], _markFrames[end], _markStackBytes[end] - _markStackBytes[start]);
    }

    /// <summary>
    /// The poll thread's CPU time so far, from the scheduler's exact per-thread runtime (/proc/self/task/TID/schedstat,
    /// nanoseconds); null when the thread has not started or the kernel does not keep it.
    /// </summary>
    public TimeSpan? CpuTime()
    {
        int threadId = Volatile.Read(ref _threadId);
        if (threadId == 0) return null;
        try
        {
            string first = File.ReadAllText($"/proc/self/task/{threadId}/schedstat").Split(' ', 2)[0];
            return TimeSpan.FromTicks(long.Parse(first, CultureInfo.InvariantCulture) / 100);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Poll thread, once at its start.</summary>
    internal void OnThreadStart(int threadId)
    {
        _growthAtStart = ChunkPool.BytesCreatedByThisThread;
        Volatile.Write(ref _threadId, threadId);
    }

    /// <summary>Poll thread: the bytes its queued commands allocated in this turn.</summary>
    internal void OnCommands(long bytes) => Volatile.Write(ref _commandBytes, _commandBytes + bytes);

    /// <summary>Poll thread: the bytes one wake-up of an application thread allocated.</summary>
    internal void OnWakeUp(long bytes) => Volatile.Write(ref _wakeUpBytes, _wakeUpBytes + bytes);

    /// <summary>Poll thread, at the end of every turn: publishes the totals and records the marks reached.</summary>
    internal void OnTurnEnd(long framesProcessed)
    {
        long total = GC.GetAllocatedBytesForCurrentThread();
        long growth = ChunkPool.BytesCreatedByThisThread - _growthAtStart;
        Volatile.Write(ref _bufferGrowthBytes, growth);
        Volatile.Write(ref _totalBytes, total);
        Volatile.Write(ref _frames, framesProcessed);
        int reached = _marksReached;
        while (reached < MarkCapacity && framesProcessed >= Mark(reached))
        {
            _markFrames[reached] = framesProcessed;
            _markStackBytes[reached] = total - _commandBytes - _wakeUpBytes - growth;
            reached++;
        }
        Volatile.Write(ref _marksReached, reached); // after the values: a reader that sees the count sees them
    }

    /// <summary>Mark i of 1, 2, 3, 4, 6, 8, 12, …: 2^k and 3·2^(k−1), consecutive marks at most 1.5 apart.</summary>
    private static long Mark(int i) => i == 0 ? 1 : i % 2 == 1 ? 1L << ((i + 1) / 2) : 3L << (i / 2 - 1);

    private static int LastMarkAtOrBelow(long frames, int reached)
    {
        int last = -1;
        for (int i = 0; i < reached && Mark(i) <= frames; i++) last = i;
        return last;
    }
}
