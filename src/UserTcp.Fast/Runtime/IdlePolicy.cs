using UserTcp.Fast.Devices;
using UserTcp.Fast.Native;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Runtime;

/// <summary>
/// What a poll loop does when a turn leaves it nothing to do (<see cref="PollMode"/>): turn again at once, or sleep in
/// poll(2) on the device's descriptor (and an application's wake-up eventfd) until a frame, the next timer, or, while
/// refused sends wait for a retry, the descriptor turning writable. The one place this decision is made: the poll thread,
/// <see cref="PollLoop.RunUntil"/> and the live benchmark's receiver all go through <see cref="PollLoop.IdleAfterTurn"/>.
/// </summary>
internal sealed class IdlePolicy
{
    /// <summary>The adaptive spin's default cap: a little above the 50–150 µs a wake-up from poll(2) takes on this VM.</summary>
    public static readonly TimeSpan DefaultSpinCap = TimeSpan.FromMicroseconds(100);
    /// <summary>A device without a descriptor (a simulated link) is polled this often at most.</summary>
    private static readonly TimeSpan NoDescriptorWait = TimeSpan.FromMilliseconds(1);
    /// <summary>
    /// After a writable wake-up that sent nothing, the next sleep waits without POLLOUT for at most this long: ENOBUFS
    /// comes from the device's queue while the socket stays writable, so POLLOUT would wake the loop at once, again and again.
    /// </summary>
    private static readonly TimeSpan SendRetryInterval = TimeSpan.FromMilliseconds(1);

    private readonly INetworkDevice _device;
    private readonly ISendBacklog? _backlog;
    private readonly IFrameWaitingHint? _waitingHint;
    private int _waitingAtWritableWake = -1;

    public IdlePolicy(INetworkDevice device, PollMode mode, TimeSpan spinCap)
    {
        _device = device;
        _backlog = device as ISendBacklog;
        _waitingHint = device as IFrameWaitingHint;
        Mode = mode;
        Spin = new SpinBudget(spinCap);
    }

    public PollMode Mode { get; }
    /// <summary>The adaptive mode's learned budget (fed in every mode; used only by <see cref="PollMode.Adaptive"/>).</summary>
    public SpinBudget Spin { get; }
    /// <summary>Turns run at once because the device showed a frame already waiting (<see cref="IFrameWaitingHint"/>): each is a
    /// poll(2) that would only have said so.</summary>
    public long WaitingFrameTurns { get; private set; }
    /// <summary>Turns run because the adaptive budget had not run out (turns that found nothing cost a pcap_dispatch each).</summary>
    public long SpinTurns { get; private set; }

    /// <summary>A turn received frames: the first and the last one's arrival times.</summary>
    public void OnBatch(Instant firstArrival, Instant lastArrival)
    {
        if (Mode == PollMode.Adaptive) Spin.OnBatch(firstArrival, lastArrival);
    }

    /// <summary>Whether to run the next turn at once: a full batch (more may wait), busy polling, a frame the device shows
    /// waiting already (no poll(2) needed to learn it), or an adaptive spin within its budget while a connection is open
    /// (with none, idle costs nothing).</summary>
    public bool TurnAgain(int frames, int batch, bool connectionsOpen, Instant now)
    {
        if (frames == batch || Mode == PollMode.Busy) return true;
        if (_waitingHint is { FrameWaiting: true })
        {
            WaitingFrameTurns++;
            return true;
        }
        if (Mode != PollMode.Adaptive || !connectionsOpen || now >= Spin.SpinUntil) return false;
        SpinTurns++;
        return true;
    }

    /// <summary>Sleeps for at most <paramref name="wait"/>; returns true when <paramref name="wakeFd"/> (-1: none) woke it.</summary>
    public bool Sleep(int wakeFd, TimeSpan wait)
    {
        int deviceFd = _device.ReadinessDescriptor;
        if (deviceFd < 0)
        {
            _device.WaitForFrames(wait < NoDescriptorWait ? wait : NoDescriptorWait);
            return false;
        }
        int waiting = _backlog?.SendsWaiting ?? 0;
        bool writableToo = waiting > 0;
        if (writableToo && _waitingAtWritableWake >= 0 && waiting >= _waitingAtWritableWake)
        {
            writableToo = false;
            if (wait > SendRetryInterval) wait = SendRetryInterval;
        }
        Span<int> descriptors = [deviceFd, wakeFd];
        int woke = ReadinessWait.Wait(descriptors, writableToo, wait, _device.Name);
        _waitingAtWritableWake = writableToo && woke == 0 ? waiting : -1;
        return woke == 1;
    }
}
