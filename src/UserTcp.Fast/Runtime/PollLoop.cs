using UserTcp.Fast.Devices;
using UserTcp.Fast.Dns;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Runtime;

/// <summary>
/// The one thread that owns all stack state. Each turn: receive a bounded batch from the device and process every
/// frame in place; run due timers (ARP, TCP, DNS retries); let the owner act (application work); then send the ACKs and
/// data the batch earned and flush the device. When idle it blocks on the device's file descriptor until the next timer
/// instead of spinning (busy-poll is an option). Turns take <c>now</c> from outside, so the same loop runs on a virtual
/// clock.
/// </summary>
internal sealed class PollLoop
{
    private readonly INetworkDevice _device;

    /// <param name="resolver">The stub resolver over <paramref name="nic"/>'s UDP, if names are to be resolved: its
    /// retries are timers of this loop like the interface's.</param>
    public PollLoop(INetworkDevice device, NetworkInterface nic, int batch = 64, StubResolver? resolver = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        _device = device;
        Interface = nic;
        Batch = batch;
        Resolver = resolver;
    }

    public NetworkInterface Interface { get; }
    public StubResolver? Resolver { get; }
    public INetworkDevice Device => _device;
    public int Batch { get; }
    public long Turns { get; private set; }
    public long FramesProcessed { get; private set; }

    /// <summary>Application work run inside every turn, after receive and timers and before the flush.</summary>
    public Action<Instant>? OnTurn { get; set; }

    public Instant NextDeadline => Resolver is { } resolver ? Instant.Min(Interface.NextDeadline, resolver.NextDeadline) : Interface.NextDeadline;

    /// <summary>
    /// One turn starting at <paramref name="now"/>; returns the number of frames received. With a real clock
    /// (<see cref="NetworkInterface.Clock"/>) the batch took time: timers and the application run at the time after it,
    /// and the flush, whose ACKs end the delays the TCP layer records, reads the clock again after the application's work.
    /// </summary>
    public int Turn(Instant now)
    {
        Turns++;
        var receiver = new InterfaceReceiver(Interface);
        int frames = _device.Receive(ref receiver, Batch);
        FramesProcessed += frames;
        var clock = Interface.Clock;
        if (clock is not null) now = clock();
        if (Interface.NextDeadline <= now) Interface.OnTimers(now);
        if (Resolver is { } resolver && resolver.NextDeadline <= now) resolver.OnTimers(now);
        OnTurn?.Invoke(now);
        Interface.Flush(clock is null ? now : clock()); // the cumulative ACKs the batch made due, one per connection
        _device.Flush();
        return frames;
    }

    /// <summary>
    /// Runs turns on the calling thread with the monotonic clock until <paramref name="done"/> returns true (checked
    /// after every turn) or <paramref name="timeout"/> passes. Returns whether <paramref name="done"/> became true.
    /// </summary>
    public bool RunUntil(Func<bool> done, TimeSpan timeout, bool busyPoll = false)
    {
        var deadline = MonotonicClock.Now + timeout;
        while (true)
        {
            var now = MonotonicClock.Now;
            int frames = Turn(now);
            if (done()) return true;
            now = MonotonicClock.Now;
            if (now >= deadline) return false;
            if (frames == Batch || busyPoll) continue; // more may be waiting: no sleep
            var wakeAt = Instant.Min(NextDeadline, deadline);
            if (wakeAt <= now) continue;
            // Wake at the next timer at the latest; cap the wait so application work started by other code is seen.
            _device.WaitForFrames(Min(wakeAt - now, TimeSpan.FromMilliseconds(10)));
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a <= b ? a : b;

    /// <summary>Hands each received frame to the interface with its arrival time (ACK delays are measured from it).</summary>
    private readonly struct InterfaceReceiver(NetworkInterface nic) : IFrameReceiver
    {
        public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt) => nic.OnFrame(frame, deliveredAt);
    }
}
