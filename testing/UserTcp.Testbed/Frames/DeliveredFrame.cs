using UserTcp.Fast.Time;

namespace UserTcp.Testbed.Frames;

internal readonly record struct DeliveredFrame(byte[] Bytes, Instant At)
{
    public int Index => LinkTestFrames.IndexOf(Bytes);
}
