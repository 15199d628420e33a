using System.Diagnostics;

namespace UserTcp.Fast.Time;

/// <summary>
/// The one real clock: monotonic, nanosecond-scaled <see cref="Instant"/>s from <see cref="Stopwatch"/>. Only the I/O
/// layers read it (the poll loop, devices stamping received frames); protocol code is handed the time.
/// </summary>
public static class MonotonicClock
{
    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    public static Instant Now => FromTimestamp(Stopwatch.GetTimestamp());

    public static Instant FromTimestamp(long stopwatchTimestamp) =>
        Stopwatch.Frequency == 1_000_000_000 ? new Instant(stopwatchTimestamp) : new Instant((long)(stopwatchTimestamp * NanosecondsPerTick));
}
