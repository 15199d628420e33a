using UserTcp.Fast.Time;

namespace UserTcp.Fast.Devices.Simulated;

/// <summary>
/// Receives frames from <see cref="SimulatedLink.Deliver{THandler}"/>. Implement it on a struct: the link takes the
/// handler as a generic struct parameter, so the JIT specialises the delivery loop and inlines the call.
/// </summary>
public interface IFrameReceiver
{
    /// <summary>
    /// One delivered frame. <paramref name="frame"/> is the link's pooled buffer and is valid only during the call;
    /// copy what must outlive it. <paramref name="deliveredAt"/> is when the frame arrived, which may be earlier
    /// than the <c>now</c> given to Deliver when the caller polls late.
    /// </summary>
    void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt);
}
