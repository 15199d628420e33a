using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Frames;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>Each fault of <see cref="LinkProfile"/> happens at its configured rate and has the promised effect.</summary>
public sealed class SimulatedLinkFaultTests
{
    private const int Frames = 100_000;

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.1)]
    public void Random_loss_rate_is_within_statistical_bounds(double loss)
    {
        var link = new SimulatedLink(LinkProfile.Perfect with { Loss = loss }, seed: 11);

        var delivered = SendNumbered(link, Frames, spacingNs: 1_000);

        long lost = Frames - delivered.Count;
        Binomial.AssertWithinBounds(lost, Frames, loss);
        Assert.Equal(lost, link.CountersFrom(LinkSide.A).LostRandom);
        Assert.Equal(0, link.CountersFrom(LinkSide.A).LostBurst);
        Assert.True(delivered.Select(f => f.Index).SequenceEqual(delivered.Select(f => f.Index).Order()), "loss alone never reorders");
    }

    [Theory]
    [InlineData(5.0)]
    [InlineData(1.0)]
    public void Bursty_loss_produces_runs_with_the_configured_mean_length(double burstLength)
    {
        var profile = LinkProfile.Perfect with { BurstLossStart = 0.01, BurstLength = burstLength };
        var link = new SimulatedLink(profile, seed: 12);

        var delivered = SendNumbered(link, Frames, spacingNs: 1_000);

        var runs = LossRuns(delivered);
        // Good → bad about once per 100 good frames; each run is geometric with the configured mean (standard deviation
        // sqrt(L(L-1)), so five standard errors over ~950 runs is about 0.75 frames for L = 5).
        Assert.InRange(runs.Count, 800, 1_100);
        double standardError = Math.Sqrt(burstLength * (burstLength - 1) / runs.Count);
        Assert.InRange(runs.Average(), burstLength - 5 * standardError - 1e-9, burstLength + 5 * standardError + 1e-9);
        Assert.Equal(runs.Sum(), link.CountersFrom(LinkSide.A).LostBurst);
        Assert.Equal(0, link.CountersFrom(LinkSide.A).LostRandom);
    }

    [Fact]
    public void A_partly_lossy_bad_state_loses_its_share_of_the_stationary_bad_fraction()
    {
        // Stationary bad fraction p / (p + 1/L) = 0.05 / (0.05 + 0.1) = 1/3; half of those frames are lost.
        var profile = LinkProfile.Perfect with { BurstLossStart = 0.05, BurstLength = 10, BadStateLoss = 0.5 };
        var link = new SimulatedLink(profile, seed: 13);

        var delivered = SendNumbered(link, Frames, spacingNs: 1_000);

        double lossRate = (Frames - delivered.Count) / (double)Frames;
        Assert.InRange(lossRate, 1.0 / 6 - 0.015, 1.0 / 6 + 0.015);
    }

    [Fact]
    public void Duplicates_happen_at_their_rate_and_arrive_right_after_the_original()
    {
        var link = new SimulatedLink(LinkProfile.Perfect with { Duplicate = 0.1, Delay = TimeSpan.FromMilliseconds(1) }, seed: 14);

        // About 110 frames in flight: far below the link's buffers, so no copy is skipped for want of one.
        var delivered = SendNumbered(link, Frames, spacingNs: 10_000);

        long duplicated = link.CountersFrom(LinkSide.A).Duplicated;
        Binomial.AssertWithinBounds(duplicated, Frames, 0.1);
        Assert.Equal(Frames + duplicated, delivered.Count);
        int copies = 0;
        for (int i = 1; i < delivered.Count; i++)
        {
            Assert.True(delivered[i].Index >= delivered[i - 1].Index, "duplication never reorders");
            if (delivered[i].Index != delivered[i - 1].Index) continue;
            copies++;
            Assert.Equal(delivered[i - 1].Bytes, delivered[i].Bytes);
            Assert.Equal(delivered[i - 1].At, delivered[i].At);
        }
        Assert.Equal(duplicated, copies);
    }

    [Fact]
    public void Reordered_frames_happen_at_their_rate_and_arrive_after_later_frames()
    {
        var profile = LinkProfile.Perfect with
        {
            Reorder = 0.1,
            ReorderDelay = TimeSpan.FromMilliseconds(1),
            Delay = TimeSpan.FromMilliseconds(2),
        };
        var link = new SimulatedLink(profile, seed: 15);
        const long spacingNs = 10_000; // 100 later frames are sent while a reordered one is held back

        var delivered = SendNumbered(link, Frames, spacingNs);

        Assert.Equal(Frames, delivered.Count);
        long reordered = link.CountersFrom(LinkSide.A).Reordered;
        Binomial.AssertWithinBounds(reordered, Frames, 0.1);
        int highestSoFar = -1;
        int overtaken = 0;
        foreach (var frame in delivered)
        {
            bool late = frame.Index < highestSoFar;
            long sentNs = frame.Index * spacingNs;
            Assert.Equal(sentNs + (late ? 3_000_000 : 2_000_000), frame.At.Nanoseconds);
            if (late) overtaken++;
            highestSoFar = Math.Max(highestSoFar, frame.Index);
        }
        Assert.Equal(reordered, overtaken);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(1.0)]
    public void Corrupted_frames_fail_ip_or_tcp_validation_and_keep_their_ethernet_header(double corrupt)
    {
        var link = new SimulatedLink(LinkProfile.Perfect with { Corrupt = corrupt }, seed: 16);
        const int count = 20_000;
        int corrupted = 0;
        for (int i = 0; i < count; i++)
        {
            // Every size from a bare header to a full segment, every other frame 802.1Q-tagged.
            var original = LinkTestFrames.Tcp(i, i % 1461, vlanId: i % 2 == 0 ? null : (ushort)5);
            int ethernetHeaderLength = i % 2 == 0 ? EthernetFrame.HeaderLength : EthernetFrame.HeaderLength + EthernetFrame.VlanTagLength;
            link.Send(LinkSide.A, original, Instant.Zero);
            var received = Assert.Single(link.DrainTo(LinkSide.B)).Bytes;

            Assert.Equal(original.Length, received.Length);
            Assert.Equal(original.AsSpan(0, ethernetHeaderLength), received.AsSpan(0, ethernetHeaderLength));
            int flippedBits = Enumerable.Range(0, original.Length).Sum(b => System.Numerics.BitOperations.PopCount((uint)(original[b] ^ received[b])));
            Assert.InRange(flippedBits, 0, 1);
            Assert.Equal(flippedBits == 0, LinkTestFrames.IsAcceptedAsTcp(received));
            corrupted += flippedBits;
        }

        Assert.Equal(corrupted, link.CountersFrom(LinkSide.A).Corrupted);
        Binomial.AssertWithinBounds(corrupted, count, corrupt);
    }

    /// <summary>Sends <paramref name="count"/> numbered frames from A, delivering to B as the clock advances, then drains.</summary>
    private static List<DeliveredFrame> SendNumbered(SimulatedLink link, int count, long spacingNs)
    {
        var delivered = new List<DeliveredFrame>(count);
        for (int i = 0; i < count; i++)
        {
            var now = new Instant(i * spacingNs);
            link.Send(LinkSide.A, LinkTestFrames.Numbered(i), now);
            delivered.AddRange(link.DeliverTo(LinkSide.B, now));
        }
        delivered.AddRange(link.DrainTo(LinkSide.B));
        return delivered;
    }

    /// <summary>Lengths of the runs of consecutive indices missing from an in-order delivery.</summary>
    private static List<int> LossRuns(List<DeliveredFrame> delivered)
    {
        var runs = new List<int>();
        int expected = 0;
        foreach (var frame in delivered)
        {
            if (frame.Index > expected) runs.Add(frame.Index - expected);
            expected = frame.Index + 1;
        }
        if (expected < Frames) runs.Add(Frames - expected);
        return runs;
    }
}
