using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace UserTcp.Fast.Runtime;

/// <summary>
/// "Something changed" from the poll thread to one waiting application call, without allocating: the wait is this
/// object itself as a <see cref="IValueTaskSource"/>, reset for every wait. The waiter arms and then re-checks its
/// condition (<see cref="Arm{TState}"/>); the poll thread completes an armed wait only when the waiter's condition holds
/// (<see cref="SetIf{TState}"/>), so a completed wait always finds what it waited for (or a cancellation, or the stream
/// disposed: <see cref="Release"/>). At most one waiter at a time.
/// </summary>
internal sealed class ChangeSignal(PollThreadUsage usage) : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _armed;  // 1 while a waiter sleeps on _core; whoever changes it 1 → 0 completes the wait
    private int _token;  // 1 when Release found no waiter armed: the next Arm sees it
    private CancellationToken _waitToken;
    private CancellationTokenRegistration _cancellation;
    private ManualResetEventSlim? _woken; // a blocking waiter's (WaitUntil), made at its first wait

    /// <summary>
    /// Poll thread: the caller has just stored what changed (a buffer position, a flag); if a waiter is armed and
    /// <paramref name="ready"/> holds for it, the waiter wakes. What the runtime allocates for that (the waiter's
    /// continuation is queued to the thread pool) is counted as a wake-up, not as the stack's own work.
    /// </summary>
    public void SetIf<TState>(Func<TState, bool> ready, TState state)
    {
        // The waiter stores _armed and then loads the state; this side stored the state and now loads _armed. Each is a
        // store followed by a load of the other's location, which volatile does not order (.NET allows store→load
        // reordering; x86 store buffers do it): without a full fence on both sides each can read the other's old value,
        // and the waiter sleeps through the last change. One fence per call, no allocation. The condition is read after
        // _armed: an armed waiter has published everything it consumed, so a condition true now stays true for it.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _armed) == 0 || !ready(state)) return;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Complete(signalled: true);
        usage.OnWakeUp(GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// Any thread: wakes the waiter whether its condition holds or not, or leaves a token for the next one if none is
    /// armed, so a waiter whose condition became true without the poll thread (its stream was disposed) sees it at its
    /// next check. Not counted as the poll thread's work.
    /// </summary>
    public void Release()
    {
        Interlocked.Exchange(ref _token, 1); // store the token, then load _armed (in Complete): the same handshake as SetIf
        Complete(signalled: true);
    }

    /// <summary>
    /// Application: arms a wait for <paramref name="ready"/>. Returns false when there is nothing to wait for (the
    /// condition holds, or a <see cref="Release"/> token was waiting); true when the caller must await
    /// <see cref="Version"/> on this source (which throws OperationCanceledException if <paramref name="cancellationToken"/>
    /// fires first).
    /// </summary>
    public bool Arm<TState>(Func<TState, bool> ready, TState state, CancellationToken cancellationToken)
    {
        _core.Reset();
        _core.RunContinuationsAsynchronously = true;
        return ArmReset(ready, state, cancellationToken);
    }

    /// <summary>As <see cref="Arm{TState}"/>, on a core already reset (and given its continuation, for a blocking waiter).</summary>
    private bool ArmReset<TState>(Func<TState, bool> ready, TState state, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _armed, 1); // full fence: store _armed → load the state and the token
        if (Interlocked.Exchange(ref _token, 0) == 1 || ready(state))
        {
            if (Interlocked.CompareExchange(ref _armed, 0, 1) == 1) return false;
            // A signal completed this wait in the meantime: the caller consumes that completion.
        }
        _waitToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
            _cancellation = cancellationToken.UnsafeRegister(static s => ((ChangeSignal)s!).Complete(signalled: false), this);
        return true;
    }

    /// <summary>
    /// Application, blocking the calling thread: waits until <paramref name="ready"/> holds, at most
    /// <paramref name="timeoutMilliseconds"/> (<see cref="Timeout.Infinite"/>: no limit); false when the time ran out. The
    /// poll thread's completion sets an event inline (no thread-pool hop), so a blocking reader wakes with one context
    /// switch, as a thread blocked in recv(2) does.
    /// </summary>
    public bool WaitUntil<TState>(Func<TState, bool> ready, TState state, int timeoutMilliseconds)
    {
        var woken = _woken ??= new ManualResetEventSlim(false, spinCount: 1);
        long deadline = timeoutMilliseconds == Timeout.Infinite ? long.MaxValue : Environment.TickCount64 + timeoutMilliseconds;
        while (true)
        {
            woken.Reset();
            if (!ArmBlocking(ready, state, woken)) return true;
            int remaining = deadline == long.MaxValue ? Timeout.Infinite : (int)Math.Clamp(deadline - Environment.TickCount64, 0, int.MaxValue);
            if (!woken.Wait(remaining))
            {
                // Timed out: disarm, unless the poll thread is completing this wait right now (then its event follows).
                if (Interlocked.CompareExchange(ref _armed, 0, 1) == 1) return false;
                woken.Wait();
            }
            _core.GetResult(_core.Version);
        }
    }

    /// <summary>As <see cref="Arm{TState}"/>, for a blocking waiter: the completion sets <paramref name="woken"/> on the
    /// completing thread.</summary>
    private bool ArmBlocking<TState>(Func<TState, bool> ready, TState state, ManualResetEventSlim woken)
    {
        _core.Reset();
        _core.RunContinuationsAsynchronously = false;
        _core.OnCompleted(static e => ((ManualResetEventSlim)e!).Set(), woken, _core.Version, ValueTaskSourceOnCompletedFlags.None);
        return ArmReset(ready, state, CancellationToken.None);
    }

    /// <summary>The current wait's token for a <see cref="ValueTask"/> on this source.</summary>
    public short Version => _core.Version;

    /// <summary>Application: waits until <paramref name="ready"/> holds, sleeping between changes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WaitUntilAsync<TState>(Func<TState, bool> ready, TState state, CancellationToken cancellationToken)
    {
        while (Arm(ready, state, cancellationToken)) await new ValueTask(this, Version).ConfigureAwait(false);
    }

    private void Complete(bool signalled)
    {
        if (Interlocked.CompareExchange(ref _armed, 0, 1) == 1) _core.SetResult(signalled);
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public void GetResult(short token)
    {
        bool signalled = _core.GetResult(token);
        _cancellation.Dispose(); // waits for a cancellation callback that is running: it completes nothing any more
        _cancellation = default;
        if (!signalled) throw new OperationCanceledException(_waitToken);
    }
}
