namespace UserTcp.Fast.Runtime;

/// <summary>
/// "Something changed" from the poll thread to one waiting application call. The waiter re-checks its condition after
/// arming, so a signal between its check and its wait is never lost; at most one token is held (no build-up).
/// </summary>
internal sealed class ChangeSignal(PollThreadUsage usage)
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);
    private volatile bool _waiting;

    /// <summary>
    /// Poll thread: wakes the waiter if there is one. What the runtime allocates for that (the waiter's continuation is
    /// queued to the thread pool) is counted as a wake-up, not as the stack's own work.
    /// </summary>
    public void Set()
    {
        // The caller has just stored what changed (a ring position, a flag); the waiter stores _waiting and then loads
        // that state. Each side is a store followed by a load of the other's location, which volatile does not order
        // (.NET allows store→load reordering; x86 store buffers do it): without a full fence on both sides each can read
        // the other's old value, and the waiter sleeps through the last change. One fence per call, no allocation.
        Interlocked.MemoryBarrier();
        if (!_waiting) return;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Release();
        usage.OnWakeUp(GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// Any thread: hands the waiter a token whether it is armed yet or not, so a waiter whose condition became true
    /// without the poll thread (its stream was disposed) sees it at its next check. Not counted as the poll thread's work.
    /// </summary>
    public void Release()
    {
        lock (_semaphore) // only contended when a waiter arms at the same moment; never on the per-packet path otherwise
        {
            if (_semaphore.CurrentCount == 0) _semaphore.Release();
        }
    }

    /// <summary>Application: waits until <paramref name="ready"/> holds, sleeping between changes.</summary>
    public async ValueTask WaitUntilAsync(Func<bool> ready, CancellationToken cancellationToken)
    {
        while (!ready())
        {
            _waiting = true;
            try
            {
                Interlocked.MemoryBarrier(); // store _waiting → load the state: the other half of Set's handshake
                if (ready()) return;
                await _semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _waiting = false;
            }
        }
    }
}
