using UserTcp.Fast.Devices;
using UserTcp.Fast.Time;

namespace UserTcp.Testbed.Frames;

/// <summary>Copies every delivered frame (tests only: the copy allocates).</summary>
internal struct FrameCollector() : IFrameReceiver
{
    public List<DeliveredFrame> Frames { get; } = [];

    public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt) => Frames.Add(new DeliveredFrame(frame.ToArray(), deliveredAt));
}
