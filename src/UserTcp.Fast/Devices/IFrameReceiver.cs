using UserTcp.Fast.Time;

namespace UserTcp.Fast.Devices;

/// <summary>
/// Receives frames from a device (<see cref="INetworkDevice.Receive{THandler}"/>, <see cref="Simulated.SimulatedLink.Deliver{THandler}"/>).
/// Implement it on a struct: devices take the handler as a generic struct parameter, so the JIT specialises the
/// receive loop and inlines the call.
/// </summary>
public interface IFrameReceiver
{
    /// <summary>
    /// One received frame. <paramref name="frame"/> is the device's buffer (a pooled buffer, or libpcap's ring) and is
    /// valid only during the call; copy what must outlive it. <paramref name="deliveredAt"/> is when the frame arrived
    /// (the capture timestamp on a live device), which may be earlier than the <c>now</c> of the poll that reads it.
    /// </summary>
    void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt);
}
