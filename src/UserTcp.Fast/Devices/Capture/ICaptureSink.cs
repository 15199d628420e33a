using UserTcp.Fast.Time;

namespace UserTcp.Fast.Devices.Capture;

/// <summary>
/// Where a <see cref="CapturingDevice"/> shows every frame it passes: a capture file (<see cref="PcapCaptureFile"/>), a
/// tracer, a simulation's frame tap. Called on the poll-loop thread with the device's buffer, valid only during the call.
/// </summary>
internal interface ICaptureSink
{
    /// <summary>A frame the device received, stamped with when it arrived.</summary>
    void OnReceived(ReadOnlySpan<byte> frame, Instant deliveredAt);

    /// <summary>A frame about to be sent; the sink stamps it on its own clock (real or virtual).</summary>
    void OnSent(ReadOnlySpan<byte> frame);
}
