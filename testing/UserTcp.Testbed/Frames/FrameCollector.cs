using System.Buffers.Binary;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Fast.Devices;

namespace UserTcp.Testbed.Frames;

/// <summary>Copies every delivered frame (tests only: the copy allocates).</summary>
internal struct FrameCollector() : IFrameReceiver
{
    public List<DeliveredFrame> Frames { get; } = [];

    public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt) => Frames.Add(new DeliveredFrame(frame.ToArray(), deliveredAt));
}
