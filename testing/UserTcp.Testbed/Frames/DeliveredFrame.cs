using System.Buffers.Binary;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Frames;

internal readonly record struct DeliveredFrame(byte[] Bytes, Instant At)
{
    public int Index => LinkTestFrames.IndexOf(Bytes);
}
