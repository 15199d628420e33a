namespace UserTcp.Fast.Time;

/// <summary>
/// A point in time in nanoseconds since an arbitrary epoch. Protocol code never reads a clock: it is handed an
/// <see cref="Instant"/> by the poll loop (a monotonic clock) or by a simulation (a virtual clock).
/// </summary>
public readonly record struct Instant(long Nanoseconds) : IComparable<Instant>
{
    public static readonly Instant Zero = new(0);
    /// <summary>"Never": used for disarmed timers so a minimum over deadlines needs no special case.</summary>
    public static readonly Instant Never = new(long.MaxValue);

    public bool IsNever => Nanoseconds == long.MaxValue;

    public static Instant FromMilliseconds(double ms) => new((long)(ms * 1_000_000));

    public double TotalMilliseconds => Nanoseconds / 1e6;

    /// <summary>Adds a duration, saturating at <see cref="Never"/>.</summary>
    public static Instant operator +(Instant at, TimeSpan duration)
    {
        if (at.IsNever) return Never;
        long add = duration.Ticks * 100;
        return add > long.MaxValue - at.Nanoseconds ? Never : new Instant(at.Nanoseconds + add);
    }

    public static TimeSpan operator -(Instant later, Instant earlier) => TimeSpan.FromTicks((later.Nanoseconds - earlier.Nanoseconds) / 100);

    public static bool operator <(Instant a, Instant b) => a.Nanoseconds < b.Nanoseconds;
    public static bool operator >(Instant a, Instant b) => a.Nanoseconds > b.Nanoseconds;
    public static bool operator <=(Instant a, Instant b) => a.Nanoseconds <= b.Nanoseconds;
    public static bool operator >=(Instant a, Instant b) => a.Nanoseconds >= b.Nanoseconds;

    public static Instant Min(Instant a, Instant b) => a.Nanoseconds <= b.Nanoseconds ? a : b;
    public static Instant Max(Instant a, Instant b) => a.Nanoseconds >= b.Nanoseconds ? a : b;

    public int CompareTo(Instant other) => Nanoseconds.CompareTo(other.Nanoseconds);

    public override string ToString() => IsNever ? "never" : $"{Nanoseconds / 1e6:0.000}ms";
}
