using System.Runtime.CompilerServices;
using System.Threading.Channels;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Native;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Runtime;

/// <summary>
/// Runs a <see cref="PollLoop"/> on its own thread, the one thread that owns all stack state. Other threads never touch
/// that state: they hand the thread work through a bounded queue (<see cref="InvokeAsync{T}"/>, <see cref="PostAsync"/>;
/// a full queue makes them wait: back-pressure, not growth) and wake it through an eventfd. When idle the thread blocks
/// in one poll(2) on the device's descriptor and the eventfd, until a frame, a command or the next timer, or spins first
/// (the loop's <see cref="IdlePolicy"/>). Its own
/// allocations and CPU time are kept in <see cref="Usage"/>.
/// </summary>
internal sealed class PollThread : IDisposable
{
    private static readonly TimeSpan DefaultLongestSleep = TimeSpan.FromSeconds(1);
    private const int WakeClosed = 1 << 30;
    private readonly PollLoop _loop;
    private readonly Channel<Action<PollLoop, Instant>> _commands;
    private readonly int _wakeFd;
    private int _wakeWriters; // threads inside Wake, plus WakeClosed once Dispose has shut the eventfd to them
    private readonly Thread _thread;
    private readonly TimeSpan _longestSleep;
    private volatile bool _stopping;
    private volatile Exception? _failure;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="longestSleep">The longest sleep with no timer due (1 s); tests make it long, so that only readiness can end it.</param>
    public PollThread(PollLoop loop, int commandCapacity = 1024, TimeSpan? longestSleep = null)
    {
        _loop = loop;
        _longestSleep = longestSleep ?? DefaultLongestSleep;
        _commands = Channel.CreateBounded<Action<PollLoop, Instant>>(new BoundedChannelOptions(commandCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _wakeFd = Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (_wakeFd < 0) throw new InvalidOperationException($"eventfd failed: {Libc.Describe(Libc.LastErrno)}");
        _thread = new Thread(Run) { IsBackground = true, Name = $"usertcp poll {loop.Device.Name}" };
    }

    /// <summary>Work the poll thread does every turn after the queued commands (moving stream data). Set before Start.</summary>
    public Action<PollLoop, Instant>? EveryTurn { get; set; }
    /// <summary>The thread's allocations (queued commands, wake-ups of application threads, the stack's own work) and CPU time.</summary>
    public PollThreadUsage Usage { get; } = new();
    /// <summary>The exception that stopped the thread, if one did (a device that went away).</summary>
    public Exception? Failure => _failure;
    public bool IsRunning => _thread.IsAlive;

    public void Start() => _thread.Start();

    /// <summary>
    /// Runs on the poll thread once, when it stops (disposed, or failed): the owner of the stack state fails whatever
    /// application code still waits on it, so nothing waits forever on a stack that is gone.
    /// </summary>
    public Action<PollLoop>? OnStopped { get; set; }

    /// <summary>
    /// Runs <paramref name="work"/> on the poll thread during its next turn and returns its result.
    /// <paramref name="cancellationToken"/> cancels only the wait for room in the queue: once queued the work runs, and
    /// its caller gets what it made (a connection, say) so that nothing it made is left behind unowned.
    /// </summary>
    public async Task<T> InvokeAsync<T>(Func<PollLoop, Instant, T> work, CancellationToken cancellationToken = default)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        await PostAsync((loop, now) =>
        {
            try { done.TrySetResult(work(loop, now)); }
            catch (Exception e) { done.TrySetException(e); }
        }, cancellationToken).ConfigureAwait(false);
        // A command queued just before the thread stopped never runs: its caller hears that the thread stopped.
        await Task.WhenAny(done.Task, _stopped.Task).ConfigureAwait(false);
        if (!done.Task.IsCompleted) throw StoppedException();
        return await done.Task.ConfigureAwait(false);
    }

    private Exception StoppedException() =>
        _failure is { } failure ? new InvalidOperationException("the stack's poll thread stopped", failure) : new ObjectDisposedException(nameof(PollThread));

    /// <summary>Queues <paramref name="work"/> for the poll thread, waiting while the queue is full.</summary>
    public async ValueTask PostAsync(Action<PollLoop, Instant> work, CancellationToken cancellationToken = default)
    {
        if (_failure is not null || _stopping) throw StoppedException();
        await _commands.Writer.WriteAsync(work, cancellationToken).ConfigureAwait(false);
        Wake();
    }

    private unsafe void Wake()
    {
        // Counted in, so that Dispose closes the eventfd only after every write that found it open: a write after the
        // close would land in whatever descriptor reuses the number (a stream disposed after the stack stopped).
        if ((Interlocked.Increment(ref _wakeWriters) & WakeClosed) == 0)
        {
            ulong one = 1;
            Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong)); // EAGAIN only when the counter is saturated: already awake
        }
        Interlocked.Decrement(ref _wakeWriters);
    }

    // Optimized from the start, never recompiled: on-stack replacement of this loop mid-transfer made the first pass
    // through the new code's system calls allocate 32 B (DOTNET_TieredCompilation=0 removed it), inside a download.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run()
    {
        Usage.OnThreadStart(Libc.GetTid());
        _loop.OnTurn = RunCommands;
        try
        {
            // The first call of a P/Invoke allocates (32 B: the runtime binding it). A busy thread may first sleep in the
            // middle of a transfer, so both calls of the sleep are made once here, before any frame: then the loop's own
            // work allocates nothing (measured: the 32 B came 0.7 million frames into a 1 GiB download otherwise).
            _loop.Idle.Sleep(_wakeFd, TimeSpan.Zero);
            DrainWake(); // non-blocking: EAGAIN when nothing woke it
            while (!_stopping)
            {
                int frames = _loop.Turn(MonotonicClock.Now);
                Usage.OnTurnEnd(_loop.FramesProcessed);
                if (_loop.IdleAfterTurn(frames, MonotonicClock.Now + _longestSleep, _wakeFd)) DrainWake();
            }
        }
        catch (Exception e)
        {
            _failure = e;
            _commands.Writer.TryComplete(e);
        }
        finally
        {
            try
            {
                OnStopped?.Invoke(_loop);
            }
            finally
            {
                _stopped.TrySetResult();
            }
        }
    }

    private void RunCommands(Instant now)
    {
        if (_commands.Reader.TryRead(out var work))
        {
            // Commands allocate by design (a connection, a counter report); counted apart from the stack's own work.
            long before = GC.GetAllocatedBytesForCurrentThread(), chunksBefore = ChunkPool.BytesCreatedByThisThread;
            do work(_loop, now);
            while (_commands.Reader.TryRead(out work));
            // New buffer chunks a command made the stack take are buffer growth, counted as such (PollThreadUsage).
            Usage.OnCommands(GC.GetAllocatedBytesForCurrentThread() - before - (ChunkPool.BytesCreatedByThisThread - chunksBefore));
        }
        EveryTurn?.Invoke(_loop, now);
    }

    /// <summary>Wakes the thread without queueing work: an application freed ring space or added data. Once the thread is
    /// disposed, nothing (its eventfd is closed).</summary>
    public void Nudge() => Wake();

    private unsafe void DrainWake()
    {
        ulong value;
        Libc.Read(_wakeFd, (byte*)&value, sizeof(ulong));
    }

    /// <summary>Stops the thread after its current turn and waits for it.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _commands.Writer.TryComplete();
        Wake();
        if (_thread.IsAlive) _thread.Join();
        else _stopped.TrySetResult(); // never started (or already gone): nothing will run the queue
        // Interlocked on one variable: a Wake that counted in before the flag writes and is waited for; any later one
        // sees the flag and leaves the descriptor alone.
        Interlocked.Or(ref _wakeWriters, WakeClosed);
        var spin = new SpinWait();
        while (Volatile.Read(ref _wakeWriters) != WakeClosed) spin.SpinOnce();
        Libc.Close(_wakeFd);
    }
}
