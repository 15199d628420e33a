using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Time;
using UserTcp.Testbed.Frames;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>Delivery mechanics of <see cref="SimulatedLink"/>: timing, order, determinism, bounds and bad input.</summary>
public sealed class SimulatedLinkTests
{
    private static readonly LinkProfile Faulty = new()
    {
        Loss = 0.05,
        BurstLossStart = 0.01,
        BurstLength = 3,
        Duplicate = 0.05,
        Reorder = 0.05,
        ReorderDelay = TimeSpan.FromMicroseconds(300),
        Corrupt = 0.05,
        Delay = TimeSpan.FromMilliseconds(1),
        RateMbps = 100,
        QueueLimitBytes = 20 * 1514,
    };

    [Fact]
    public void Perfect_link_delivers_every_frame_unchanged_after_exactly_the_delay_in_order()
    {
        var profile = LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(5) };
        var link = new SimulatedLink(profile, seed: 1);
        var sent = new List<(byte[] Frame, Instant At)>();
        for (int i = 0; i < 500; i++)
        {
            // Several frames share each send instant, so equal delivery times must keep send order.
            var at = new Instant(i / 4 * 1_000);
            var frame = LinkTestFrames.Numbered(i, payloadLength: 4 + i % 200);
            link.Send(LinkSide.A, frame, at);
            sent.Add((frame, at));
        }

        var delivered = link.DrainTo(LinkSide.B);

        Assert.Equal(sent.Count, delivered.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i].Frame, delivered[i].Bytes);
            Assert.Equal(sent[i].At.Nanoseconds + 5_000_000, delivered[i].At.Nanoseconds);
        }
        var counters = link.CountersFrom(LinkSide.A);
        Assert.Equal(new LinkCounters
        {
            FramesSent = 500,
            FramesDelivered = 500,
            BytesDelivered = sent.Sum(s => (long)s.Frame.Length),
        }, counters);
        Assert.Equal(default, link.CountersFrom(LinkSide.B));
    }

    [Fact]
    public void Frames_are_not_delivered_before_they_are_due()
    {
        var link = new SimulatedLink(LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1) }, seed: 1);
        link.Send(LinkSide.A, LinkTestFrames.Numbered(0), Instant.Zero);

        Assert.Empty(link.DeliverTo(LinkSide.B, new Instant(999_999)));
        Assert.Empty(link.DeliverTo(LinkSide.A, Instant.Never));
        var frame = Assert.Single(link.DeliverTo(LinkSide.B, new Instant(5_000_000)));
        Assert.Equal(new Instant(1_000_000), frame.At);
    }

    [Fact]
    public void Next_delivery_is_the_earliest_due_frame_per_side_and_never_when_idle()
    {
        var link = new SimulatedLink(
            LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(3) },
            LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1) },
            seed: 1);
        Assert.Equal(Instant.Never, link.NextDelivery());

        link.Send(LinkSide.A, LinkTestFrames.Numbered(0), Instant.Zero);
        Assert.Equal(Instant.FromMilliseconds(3), link.NextDelivery(LinkSide.B));
        Assert.Equal(Instant.Never, link.NextDelivery(LinkSide.A));
        Assert.Equal(Instant.FromMilliseconds(3), link.NextDelivery());

        link.Send(LinkSide.B, LinkTestFrames.Numbered(1), Instant.FromMilliseconds(1));
        Assert.Equal(Instant.FromMilliseconds(2), link.NextDelivery(LinkSide.A));
        Assert.Equal(Instant.FromMilliseconds(2), link.NextDelivery());

        link.DrainTo(LinkSide.A);
        link.DrainTo(LinkSide.B);
        Assert.Equal(Instant.Never, link.NextDelivery());
    }

    [Fact]
    public void Deliver_hands_over_at_most_max_frames_per_call_and_keeps_the_rest_in_order()
    {
        var link = new SimulatedLink(LinkProfile.Perfect, seed: 1);
        for (int i = 0; i < 10; i++) link.Send(LinkSide.A, LinkTestFrames.Numbered(i), Instant.Zero);

        var handler = new FrameCollector();
        int[] counts = [.. Enumerable.Range(0, 5).Select(_ => link.Deliver(LinkSide.B, Instant.Zero, ref handler, maxFrames: 3))];

        Assert.Equal([3, 3, 3, 1, 0], counts);
        Assert.Equal(Enumerable.Range(0, 10), handler.Frames.Select(f => f.Index));
        link.Send(LinkSide.A, LinkTestFrames.Numbered(10), Instant.Zero);
        Assert.Equal(0, link.Deliver(LinkSide.B, Instant.Zero, ref handler, maxFrames: 0));
        Assert.Equal(1, link.Deliver(LinkSide.B, Instant.Zero, ref handler, maxFrames: 1));
    }

    [Fact]
    public void Same_seed_and_same_sends_give_identical_deliveries_and_a_different_seed_differs()
    {
        var first = RunScenario(seed: 42);
        var again = RunScenario(seed: 42);
        var other = RunScenario(seed: 43);

        Assert.Equal(first.Schedule, again.Schedule);
        Assert.Equal(first.Counters, again.Counters);
        Assert.NotEqual(first.Schedule, other.Schedule);
    }

    [Fact]
    public void Every_frame_is_accounted_for_once_the_link_drains()
    {
        var (_, counters) = RunScenario(seed: 7);

        foreach (var c in counters)
        {
            Assert.True(c.LostRandom > 0 && c.LostBurst > 0 && c.Duplicated > 0 && c.Reordered > 0 && c.Corrupted > 0 && c.DroppedQueue > 0, c.ToString());
            Assert.Equal(c.FramesSent + c.Duplicated,
                         c.FramesDelivered + c.LostRandom + c.LostBurst + c.DroppedMalformed + c.DroppedMtu + c.DroppedQueue);
        }
    }

    [Fact]
    public void Traffic_in_one_direction_does_not_change_the_other_directions_faults()
    {
        var quiet = new SimulatedLink(Faulty, seed: 9);
        var busy = new SimulatedLink(Faulty, seed: 9);
        var quietSchedule = new List<string>();
        var busySchedule = new List<string>();
        for (int i = 0; i < 5_000; i++)
        {
            var now = new Instant(i * 130_000L);
            quiet.Send(LinkSide.A, LinkTestFrames.Numbered(i, 1000), now);
            busy.Send(LinkSide.A, LinkTestFrames.Numbered(i, 1000), now);
            if (i % 3 == 0) busy.Send(LinkSide.B, LinkTestFrames.Numbered(i, 1400), now);
            quietSchedule.AddRange(quiet.DeliverTo(LinkSide.B, now).Select(Describe));
            busySchedule.AddRange(busy.DeliverTo(LinkSide.B, now).Select(Describe));
            busy.DeliverTo(LinkSide.A, now);
        }

        Assert.Equal(quietSchedule, busySchedule);
        Assert.Equal(quiet.CountersFrom(LinkSide.A), busy.CountersFrom(LinkSide.A));
    }

    [Fact]
    public void Changing_one_faults_probability_leaves_the_other_faults_pattern_unchanged()
    {
        var lossOnly = LinkProfile.Perfect with { Loss = 0.1 };
        var lossDuplicatesAndReordering = lossOnly with { Duplicate = 0.3, Reorder = 0.2 };

        Assert.Equal(LostIndices(lossOnly), LostIndices(lossDuplicatesAndReordering));

        static int[] LostIndices(LinkProfile profile)
        {
            var link = new SimulatedLink(profile, seed: 5);
            var arrived = new HashSet<int>();
            for (int i = 0; i < 10_000; i++)
            {
                link.Send(LinkSide.A, LinkTestFrames.Numbered(i), Instant.Zero);
                foreach (var frame in link.DrainTo(LinkSide.B)) arrived.Add(frame.Index);
            }
            return [.. Enumerable.Range(0, 10_000).Where(i => !arrived.Contains(i))];
        }
    }

    [Fact]
    public void Frames_too_short_for_an_ethernet_header_are_counted_as_malformed_not_thrown()
    {
        var link = new SimulatedLink(LinkProfile.Perfect, seed: 1);
        var vlanTagged = LinkTestFrames.Numbered(0, vlanId: 7);

        link.Send(LinkSide.A, ReadOnlySpan<byte>.Empty, Instant.Zero);
        link.Send(LinkSide.A, new byte[13], Instant.Zero);
        link.Send(LinkSide.A, vlanTagged.AsSpan(0, 17), Instant.Zero); // says 802.1Q but the tag is cut short
        link.Send(LinkSide.A, LinkTestFrames.Numbered(0).AsSpan(0, 14), Instant.Zero); // a bare header is a frame

        var delivered = link.DrainTo(LinkSide.B);
        Assert.Equal(14, Assert.Single(delivered).Bytes.Length);
        var counters = link.CountersFrom(LinkSide.A);
        Assert.Equal(4, counters.FramesSent);
        Assert.Equal(3, counters.DroppedMalformed);
    }

    [Fact]
    public void Frames_whose_payload_exceeds_the_mtu_are_dropped_and_counted()
    {
        var link = new SimulatedLink(LinkProfile.Perfect, LinkProfile.Perfect with { Mtu = 576 }, seed: 1);

        link.Send(LinkSide.A, LinkTestFrames.Numbered(0, payloadLength: 1500), Instant.Zero);
        link.Send(LinkSide.A, LinkTestFrames.Numbered(1, payloadLength: 1501), Instant.Zero);
        link.Send(LinkSide.A, LinkTestFrames.Numbered(2, payloadLength: 1500, vlanId: 7), Instant.Zero); // 1518 bytes: the tag is not payload
        link.Send(LinkSide.A, LinkTestFrames.Numbered(3, payloadLength: 1501, vlanId: 7), Instant.Zero);
        link.Send(LinkSide.B, LinkTestFrames.Numbered(4, payloadLength: 576), Instant.Zero);
        link.Send(LinkSide.B, LinkTestFrames.Numbered(5, payloadLength: 577), Instant.Zero);

        Assert.Equal([1514, 1518], link.DrainTo(LinkSide.B).Select(f => f.Bytes.Length));
        Assert.Equal([590], link.DrainTo(LinkSide.A).Select(f => f.Bytes.Length));
        Assert.Equal(2, link.CountersFrom(LinkSide.A).DroppedMtu);
        Assert.Equal(1, link.CountersFrom(LinkSide.B).DroppedMtu);
    }

    [Fact]
    public void When_every_buffer_is_in_flight_further_frames_are_counted_as_queue_drops()
    {
        var profile = LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1), Duplicate = 1 };
        var link = new SimulatedLink(profile, seed: 1, framesInFlight: 5);

        for (int i = 0; i < 10; i++) link.Send(LinkSide.A, LinkTestFrames.Numbered(i), Instant.Zero);

        // Frames 0 and 1 each take a buffer for their copy; frame 2 gets a buffer but no copy; the rest find none.
        Assert.Equal([0, 0, 1, 1, 2], link.DrainTo(LinkSide.B).Select(f => f.Index));
        var counters = link.CountersFrom(LinkSide.A);
        Assert.Equal(7, counters.DroppedQueue);
        Assert.Equal(2, counters.Duplicated);

        link.Send(LinkSide.A, LinkTestFrames.Numbered(10), Instant.Zero);
        Assert.Equal(2, link.DrainTo(LinkSide.B).Count);
    }

    [Fact]
    public void A_handler_that_throws_still_gives_the_buffer_back()
    {
        var link = new SimulatedLink(LinkProfile.Perfect, seed: 1, framesInFlight: 1);
        link.Send(LinkSide.A, LinkTestFrames.Numbered(0), Instant.Zero);

        var throwing = new ThrowingReceiver();
        Assert.Throws<InvalidOperationException>(() => link.Deliver(LinkSide.B, Instant.Zero, ref throwing, 1));

        link.Send(LinkSide.A, LinkTestFrames.Numbered(1), Instant.Zero);
        Assert.Equal(1, Assert.Single(link.DrainTo(LinkSide.B)).Index);
        Assert.Equal(0, link.CountersFrom(LinkSide.A).DroppedQueue);
    }

    [Fact]
    public void A_handler_may_answer_on_the_link_from_inside_its_callback()
    {
        var link = new SimulatedLink(LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1) }, seed: 1);
        link.Send(LinkSide.A, LinkTestFrames.Numbered(0), Instant.Zero);

        var echo = new EchoReceiver(link, LinkSide.B);
        Assert.Equal(1, link.Deliver(LinkSide.B, Instant.FromMilliseconds(1), ref echo, 10));

        var reply = Assert.Single(link.DrainTo(LinkSide.A));
        Assert.Equal(0, reply.Index);
        Assert.Equal(Instant.FromMilliseconds(2), reply.At);
    }

    [Fact]
    public void Unknown_sides_are_rejected()
    {
        var link = new SimulatedLink(LinkProfile.Perfect, seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => link.Send((LinkSide)2, LinkTestFrames.Numbered(0), Instant.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => link.NextDelivery((LinkSide)2));
    }

    /// <summary>
    /// Both directions faulty, interleaved sends with pauses so the bottleneck queue both overflows and drains;
    /// returns every delivery as side, time and bytes, then the counters of both directions.
    /// </summary>
    private static (List<string> Schedule, LinkCounters[] Counters) RunScenario(ulong seed)
    {
        var link = new SimulatedLink(Faulty, Faulty with { Loss = 0.02, RateMbps = 50, QueueLimitBytes = 4_000 }, seed);
        var schedule = new List<string>();
        long nowNs = 0;
        for (int i = 0; i < 20_000; i++)
        {
            nowNs += i % 100 < 50 ? 10_000 : 200_000;
            var now = new Instant(nowNs);
            link.Send(LinkSide.A, LinkTestFrames.Tcp(i, i % 1461), now);
            if (i % 2 == 0) link.Send(LinkSide.B, LinkTestFrames.Numbered(i, 4 + i % 700), now);
            schedule.AddRange(link.DeliverTo(LinkSide.B, now).Select(f => "B " + Describe(f)));
            schedule.AddRange(link.DeliverTo(LinkSide.A, now).Select(f => "A " + Describe(f)));
        }
        schedule.AddRange(link.DrainTo(LinkSide.B).Select(f => "B " + Describe(f)));
        schedule.AddRange(link.DrainTo(LinkSide.A).Select(f => "A " + Describe(f)));
        return (schedule, [link.CountersFrom(LinkSide.A), link.CountersFrom(LinkSide.B)]);
    }

    private static string Describe(DeliveredFrame frame) => $"{frame.At.Nanoseconds} {Convert.ToHexString(frame.Bytes)}";

    private struct ThrowingReceiver : IFrameReceiver
    {
        public readonly void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt) => throw new InvalidOperationException("handler failed");
    }

    private readonly struct EchoReceiver(SimulatedLink link, LinkSide side) : IFrameReceiver
    {
        public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt) => link.Send(side, frame, deliveredAt);
    }
}
