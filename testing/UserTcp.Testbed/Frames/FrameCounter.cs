using UserTcp.Fast.Devices;
using UserTcp.Fast.Time;

namespace UserTcp.Testbed.Frames;

/// <summary>Counts frames without touching the heap: the receiver for allocation measurements.</summary>
internal struct FrameCounter : IFrameReceiver
{
    public long Frames;
    public long Bytes;
    public int LargestFrame;
    public Instant LastDeliveredAt;

    public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt)
    {
        Frames++;
        Bytes += frame.Length;
        LargestFrame = Math.Max(LargestFrame, frame.Length);
        LastDeliveredAt = deliveredAt;
    }
}
