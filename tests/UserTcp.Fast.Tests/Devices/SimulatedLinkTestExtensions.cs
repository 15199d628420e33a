using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Time;
using UserTcp.Testbed.Frames;

namespace UserTcp.Fast.Tests.Devices;

internal static class SimulatedLinkTestExtensions
{
    /// <summary>Delivers everything in flight towards <paramref name="to"/>, whenever it is due.</summary>
    public static List<DeliveredFrame> DrainTo(this SimulatedLink link, LinkSide to)
    {
        var collector = new FrameCollector();
        link.Deliver(to, Instant.Never, ref collector, int.MaxValue);
        return collector.Frames;
    }

    public static List<DeliveredFrame> DeliverTo(this SimulatedLink link, LinkSide to, Instant now, int maxFrames = int.MaxValue)
    {
        var collector = new FrameCollector();
        link.Deliver(to, now, ref collector, maxFrames);
        return collector.Frames;
    }
}
