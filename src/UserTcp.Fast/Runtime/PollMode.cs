namespace UserTcp.Fast.Runtime;

/// <summary>What the poll thread does when a turn leaves it nothing to do.</summary>
public enum PollMode
{
    /// <summary>Sleep in poll(2) on the device until a frame, a command or the next timer: no CPU while idle, but the
    /// thread wakes 50–150 µs after a frame arrives (measured on a 2-core VM).</summary>
    Sleep,
    /// <summary>After frames arrived, keep polling the device for a spin budget learned from the gaps between arrivals
    /// (at most <see cref="Api.NetworkStackOptions.AdaptivePollBudget"/>; none while no connection is open), then sleep.</summary>
    Adaptive,
    /// <summary>Never sleep: one core spins on the device all the time.</summary>
    Busy,
}
