using UserTcp.Fast.Devices;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Native;

/// <summary>poll(2) on one descriptor: how both live devices implement <see cref="INetworkDevice.WaitForFrames"/>.</summary>
internal static unsafe class ReadinessWait
{
    /// <summary>
    /// Blocks until <paramref name="fd"/> is readable or has an error condition (true: the next receive will find a
    /// frame or report the error), or <paramref name="timeout"/> passes (false). <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits forever. A signal restarts the wait for the time that is left.
    /// </summary>
    public static bool WaitReadable(int fd, TimeSpan timeout, string deviceName) => WaitReadable([fd], timeout, deviceName) >= 0;

    /// <summary>
    /// The same over several descriptors (a device and a wake-up eventfd): returns the index of the first readable one,
    /// or -1 when <paramref name="timeout"/> passed. Descriptors below zero are ignored.
    /// </summary>
    public static int WaitReadable(ReadOnlySpan<int> fds, TimeSpan timeout, string deviceName) => Wait(fds, writableToo: false, timeout, deviceName);

    /// <summary>
    /// The same, with <paramref name="writableToo"/> also waking when the first descriptor (the device) turns writable:
    /// while frames wait for a retry of a refused send.
    /// </summary>
    public static int Wait(ReadOnlySpan<int> fds, bool writableToo, TimeSpan timeout, string deviceName)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "a wait needs a non-negative timeout or Timeout.InfiniteTimeSpan");
        if (fds.Length > 4) throw new ArgumentOutOfRangeException(nameof(fds), "at most four descriptors");
        bool forever = timeout == Timeout.InfiniteTimeSpan;
        var deadline = forever ? Instant.Never : MonotonicClock.Now + timeout;
        var pollFds = stackalloc Libc.PollFd[fds.Length];
        for (int i = 0; i < fds.Length; i++) pollFds[i] = new Libc.PollFd { Fd = fds[i], Events = Libc.POLLIN };
        if (writableToo) pollFds[0].Events |= Libc.POLLOUT;
        while (true)
        {
            int result = Libc.Poll(pollFds, (nuint)fds.Length, forever ? -1 : MillisecondsRoundedUp(deadline - MonotonicClock.Now));
            if (result > 0)
            {
                for (int i = 0; i < fds.Length; i++) if (pollFds[i].ReturnedEvents != 0) return i;
                return 0;
            }
            if (result == 0) return -1;
            int errno = Libc.LastErrno;
            if (errno != Libc.EINTR)
                throw new DeviceUnavailableException(DeviceUnavailableReason.InterfaceGone, $"{deviceName}: poll failed: {Libc.Describe(errno)}");
        }
    }

    /// <summary>Rounds up so a sub-millisecond wait sleeps instead of spinning through zero-timeout polls.</summary>
    private static int MillisecondsRoundedUp(TimeSpan remaining) =>
        remaining <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, (remaining.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
}
