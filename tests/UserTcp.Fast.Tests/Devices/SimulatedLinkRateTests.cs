using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Time;
using UserTcp.Testbed.Frames;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>The bottleneck: serialization at <see cref="LinkProfile.RateMbps"/>, a FIFO queue and tail drop.</summary>
public sealed class SimulatedLinkRateTests
{
    private const int FullFramePayload = 1500; // a 1514-byte frame
    private const long FullFrameNsAt100Mbps = 1514 * 8 * 1_000 / 100; // 121.12 µs

    [Fact]
    public void A_thousand_full_frames_at_100_mbps_take_their_serialization_time_plus_the_delay()
    {
        var profile = LinkProfile.Perfect with { RateMbps = 100, Delay = TimeSpan.FromMilliseconds(10) };
        var link = new SimulatedLink(profile, seed: 1);

        for (int i = 0; i < 1000; i++) link.Send(LinkSide.A, LinkTestFrames.Numbered(i, FullFramePayload), Instant.Zero);
        var delivered = link.DrainTo(LinkSide.B);

        Assert.Equal(1000, delivered.Count);
        const long expectedLastNs = (long)(1000 * 1514 * 8 / 100e6 * 1e9) + 10_000_000;
        Assert.InRange(delivered[^1].At.Nanoseconds, expectedLastNs - FullFrameNsAt100Mbps, expectedLastNs + FullFrameNsAt100Mbps);
        for (int i = 0; i < delivered.Count; i++)
        {
            Assert.Equal(i, delivered[i].Index);
            Assert.Equal((i + 1) * FullFrameNsAt100Mbps + 10_000_000, delivered[i].At.Nanoseconds);
        }
    }

    [Fact]
    public void Frames_beyond_the_queue_limit_are_tail_dropped_and_counted_until_the_queue_drains()
    {
        var profile = LinkProfile.Perfect with { RateMbps = 100, QueueLimitBytes = 10 * 1514 };
        var link = new SimulatedLink(profile, seed: 1);

        for (int i = 0; i < 100; i++) link.Send(LinkSide.A, LinkTestFrames.Numbered(i, FullFramePayload), Instant.Zero);

        Assert.Equal(Enumerable.Range(0, 10), link.DrainTo(LinkSide.B).Select(f => f.Index));
        Assert.Equal(90, link.CountersFrom(LinkSide.A).DroppedQueue);

        // Half the backlog has gone out by now: five more frames fit, the sixth does not.
        var halfway = new Instant(5 * FullFrameNsAt100Mbps);
        var freshLink = new SimulatedLink(profile, seed: 1);
        for (int i = 0; i < 10; i++) freshLink.Send(LinkSide.A, LinkTestFrames.Numbered(i, FullFramePayload), Instant.Zero);
        for (int i = 10; i < 16; i++) freshLink.Send(LinkSide.A, LinkTestFrames.Numbered(i, FullFramePayload), halfway);
        Assert.Equal(1, freshLink.CountersFrom(LinkSide.A).DroppedQueue);
        Assert.Equal(15, freshLink.DrainTo(LinkSide.B).Count);
    }

    [Fact]
    public void Sending_at_exactly_the_line_rate_never_fills_a_one_frame_queue()
    {
        var link = new SimulatedLink(LinkProfile.Perfect with { RateMbps = 100, QueueLimitBytes = 1514 }, seed: 1);

        for (int i = 0; i < 1000; i++) link.Send(LinkSide.A, LinkTestFrames.Numbered(i, FullFramePayload), new Instant(i * FullFrameNsAt100Mbps));

        Assert.Equal(1000, link.DrainTo(LinkSide.B).Count);
        Assert.Equal(0, link.CountersFrom(LinkSide.A).DroppedQueue);
    }

    [Fact]
    public void Lost_frames_still_occupy_the_bottleneck_because_loss_happens_downstream()
    {
        var link = new SimulatedLink(LinkProfile.Perfect with { RateMbps = 100, Loss = 0.5 }, seed: 1);

        for (int i = 0; i < 200; i++) link.Send(LinkSide.A, LinkTestFrames.Numbered(i, FullFramePayload), Instant.Zero);
        var delivered = link.DrainTo(LinkSide.B);

        Assert.InRange(delivered.Count, 50, 150);
        Assert.All(delivered, f => Assert.Equal((f.Index + 1) * FullFrameNsAt100Mbps, f.At.Nanoseconds));
    }

    [Fact]
    public void Each_direction_has_its_own_bottleneck()
    {
        var link = new SimulatedLink(LinkProfile.Perfect with { RateMbps = 100 }, LinkProfile.Perfect with { RateMbps = 1000 }, seed: 1);

        link.Send(LinkSide.A, LinkTestFrames.Numbered(0, FullFramePayload), Instant.Zero);
        link.Send(LinkSide.B, LinkTestFrames.Numbered(1, FullFramePayload), Instant.Zero);

        Assert.Equal(new Instant(FullFrameNsAt100Mbps), link.NextDelivery(LinkSide.B));
        Assert.Equal(new Instant(FullFrameNsAt100Mbps / 10), link.NextDelivery(LinkSide.A));
    }
}
