using UserTcp.Fast.Native;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// One reading of CLOCK_REALTIME placed on <see cref="MonotonicClock"/>, taken per receive batch: the kernel stamps captured
/// frames with the realtime clock, and a frame's age against this reading moves its stamp onto the monotonic scale, so
/// <c>deliveredAt</c> is the arrival time, not the read time. A step of the wall clock while frames wait skews only those
/// frames' ages.
/// </summary>
internal readonly struct CaptureClock
{
    /// <summary>Clock readings bracketing the realtime one this far apart err by up to half of it (vDSO reads take ~20 ns).</summary>
    private const long MaxReadingGapNanoseconds = 1_000;
    private const int MaxReadingAttempts = 3;

    private readonly long _monotonicNanoseconds;
    private readonly long _realtimeNanoseconds;

    private CaptureClock(long monotonicNanoseconds, long realtimeNanoseconds)
    {
        _monotonicNanoseconds = monotonicNanoseconds;
        _realtimeNanoseconds = realtimeNanoseconds;
    }

    /// <summary>
    /// The realtime reading between two monotonic ones, their midpoint its monotonic time: a preemption between two plain
    /// readings shifted every arrival of the batch by its length (busy polling once recorded an ACK delay of 0, the arrival
    /// moved past the flush). A pair further apart than <see cref="MaxReadingGapNanoseconds"/> is read again, a bounded
    /// number of times; the last pair is kept whatever its gap.
    /// </summary>
    public static unsafe CaptureClock Read()
    {
        Libc.TimeSpec realtime;
        long before, after;
        int attempts = 0;
        do
        {
            before = MonotonicClock.Now.Nanoseconds;
            Libc.ClockGetTime(Libc.CLOCK_REALTIME, &realtime);
            after = MonotonicClock.Now.Nanoseconds;
        }
        while (after - before > MaxReadingGapNanoseconds && ++attempts < MaxReadingAttempts);
        return new CaptureClock(before + (after - before) / 2, realtime.Seconds * 1_000_000_000 + realtime.Nanoseconds);
    }

    public Instant MonotonicNow => new(_monotonicNanoseconds);

    /// <summary>
    /// The capture time <paramref name="realtimeNanoseconds"/> on the monotonic clock, by its offset from the realtime reading.
    /// A frame captured after that reading (the thread was preempted between it and the read, or the frame landed while the
    /// batch was being read) gets a time after it, not the reading itself: clamped, a whole batch once carried a 4.3 ms delay
    /// the observer on the wire did not see (perf-results/ack-latency.md, the maxima).
    /// </summary>
    public Instant ArrivalOf(long realtimeNanoseconds) => new(_monotonicNanoseconds - (_realtimeNanoseconds - realtimeNanoseconds));
}
