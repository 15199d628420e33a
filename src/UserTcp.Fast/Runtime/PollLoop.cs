using UserTcp.Fast.Devices;
using UserTcp.Fast.Dhcp;
using UserTcp.Fast.Dns;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Runtime;

/// <summary>
/// The one thread that owns all stack state. Each turn: receive a bounded batch from the device and process every
/// frame in place; run due timers (ARP, TCP, DNS retries); let the owner act (application work); then send the ACKs and
/// data the batch earned and flush the device (a device that batches sends writes nothing before its flush, so each
/// flush of the interface is followed by one of the device: no frame waits beyond the turn that made it). Between turns its <see cref="IdlePolicy"/> decides whether to turn again
/// or sleep on the device's file descriptor until the next timer (<see cref="PollMode"/>). Turns take <c>now</c> from
/// outside, so the same loop runs on a virtual clock.
/// </summary>
internal sealed class PollLoop
{
    private readonly INetworkDevice _device;

    /// <param name="resolver">The stub resolver over <paramref name="nic"/>'s UDP, if names are to be resolved: its
    /// retries are timers of this loop like the interface's.</param>
    /// <param name="spinCap">The adaptive mode's longest spin; <see cref="IdlePolicy.DefaultSpinCap"/> when null.</param>
    /// <param name="dhcp">The DHCP client that configures <paramref name="nic"/>'s address, if it has one: its retransmissions
    /// and lease times are timers of this loop.</param>
    public PollLoop(INetworkDevice device, NetworkInterface nic, int batch = 64, StubResolver? resolver = null,
                    PollMode mode = PollMode.Sleep, TimeSpan? spinCap = null, DhcpClient? dhcp = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        _device = device;
        Interface = nic;
        Batch = batch;
        Resolver = resolver;
        Dhcp = dhcp;
        Idle = new IdlePolicy(device, mode, spinCap ?? IdlePolicy.DefaultSpinCap);
    }

    public NetworkInterface Interface { get; }
    public StubResolver? Resolver { get; }
    public DhcpClient? Dhcp { get; }
    public INetworkDevice Device => _device;
    public int Batch { get; }
    public long Turns { get; private set; }
    public long FramesProcessed { get; private set; }
    public IdlePolicy Idle { get; }

    /// <summary>Application work run inside every turn, after receive and timers and before the flush.</summary>
    public Action<Instant>? OnTurn { get; set; }

    public Instant NextDeadline
    {
        get
        {
            var next = Interface.NextDeadline;
            if (Resolver is { } resolver) next = Instant.Min(next, resolver.NextDeadline);
            return Dhcp is { } dhcp ? Instant.Min(next, dhcp.NextDeadline) : next;
        }
    }

    /// <summary>
    /// One turn starting at <paramref name="now"/>; returns the number of frames received. With a real clock
    /// (<see cref="NetworkInterface.Clock"/>) the batch took time: timers and the application run at the time after it,
    /// and each flush, whose ACKs end the delays the TCP layer records, reads the clock again. A batch's ACKs are flushed
    /// before the application's work (the ACK-latency benchmark, alternating quick runs: observer p50 of 256-segment
    /// bursts 640.7 and 580.3 µs against 842.9 and 731.2 with the flush after it only) and what that work made due after it.
    /// </summary>
    public int Turn(Instant now)
    {
        Turns++;
        var receiver = new InterfaceReceiver(Interface);
        int frames = _device.Receive(ref receiver, Batch);
        FramesProcessed += frames;
        if (frames > 0) Idle.OnBatch(receiver.FirstArrival, receiver.LastArrival);
        var clock = Interface.Clock;
        if (clock is not null) now = clock();
        if (Interface.NextDeadline <= now) Interface.OnTimers(now);
        if (Resolver is { } resolver && resolver.NextDeadline <= now) resolver.OnTimers(now);
        if (Dhcp is { } dhcp && dhcp.NextDeadline <= now) dhcp.OnTimers(now);
        // Linux ACKs from the softirq, before the reader runs: flushed here the ACK does not wait for the application's copy,
        // and carries the window from before the read (a window update after the read is the engine's to decide).
        if (frames > 0)
        {
            Interface.Flush(clock is null ? now : clock());
            _device.Flush(); // a batching device holds the ACKs until told: they go before the application's work too
        }
        OnTurn?.Invoke(now);
        Interface.Flush(clock is null ? now : clock()); // the cumulative ACKs the batch made due, one per connection
        _device.Flush();
        return frames;
    }

    /// <summary>
    /// After a turn that received <paramref name="frames"/>: returns at once when the next turn should follow (a full
    /// batch, busy polling, an adaptive spin within its budget), or sleeps until a frame arrives, the device turns writable
    /// while refused sends wait, <paramref name="wakeFd"/> (-1: none) is readable, the next timer, or
    /// <paramref name="wakeAt"/>. Returns true when <paramref name="wakeFd"/> woke it (the caller drains it).
    /// </summary>
    public bool IdleAfterTurn(int frames, Instant wakeAt, int wakeFd = -1)
    {
        var now = MonotonicClock.Now;
        if (Idle.TurnAgain(frames, Batch, Interface.Tcp.ConnectionCount > 0, now)) return false;
        var until = Instant.Min(wakeAt, NextDeadline);
        return until > now && Idle.Sleep(wakeFd, until - now);
    }

    /// <summary>
    /// Runs turns on the calling thread with the monotonic clock until <paramref name="done"/> returns true (checked
    /// after every turn) or <paramref name="timeout"/> passes. Returns whether <paramref name="done"/> became true.
    /// </summary>
    public bool RunUntil(Func<bool> done, TimeSpan timeout)
    {
        var deadline = MonotonicClock.Now + timeout;
        while (true)
        {
            int frames = Turn(MonotonicClock.Now);
            if (done()) return true;
            var now = MonotonicClock.Now;
            if (now >= deadline) return false;
            // The wait is capped so that application work started by other code is seen.
            IdleAfterTurn(frames, Instant.Min(deadline, now + TimeSpan.FromMilliseconds(10)));
        }
    }

    /// <summary>Hands each received frame to the interface with its arrival time (ACK delays are measured from it), and
    /// keeps the batch's first and last arrival for the adaptive spin's gaps.</summary>
    private struct InterfaceReceiver(NetworkInterface nic) : IFrameReceiver
    {
        public Instant FirstArrival = Instant.Never;
        public Instant LastArrival = Instant.Never;

        public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt)
        {
            if (FirstArrival.IsNever) FirstArrival = deliveredAt;
            LastArrival = deliveredAt;
            nic.OnFrame(frame, deliveredAt);
        }
    }
}
