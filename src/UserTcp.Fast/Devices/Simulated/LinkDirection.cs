using UserTcp.Fast.Buffers;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.Simulated;

/// <summary>
/// One direction of a <see cref="SimulatedLink"/>: its own profile, buffers, random stream, bottleneck queue and
/// in-flight frames ordered by delivery time. The fault order is documented on <see cref="SimulatedLink"/>.
/// </summary>
internal sealed class LinkDirection
{
    private const ushort VlanEtherType = (ushort)EtherType.Vlan;

    private readonly FramePool _pool;
    // Each entry owns one pool buffer, so the pool size bounds the count and the reserved capacity never grows.
    private readonly PriorityQueue<InFlightFrame, DeliveryOrder> _inFlight;
    private readonly DeterministicRandom _random;
    private readonly long _delayNs;
    private readonly long _reorderDelayNs;
    private readonly double _burstExitProbability;
    // 0 when the rate is unlimited.
    private readonly double _nanosecondsPerByte;
    private long _transmitterBusyUntilNs;
    private long _nextSequence;
    private bool _inBurst;
    private LinkCounters _counters;

    public LinkDirection(LinkProfile profile, ulong seed, int framesInFlight)
    {
        Profile = profile;
        _pool = new FramePool(framesInFlight, profile.Mtu + EthernetFrame.HeaderLength + EthernetFrame.VlanTagLength);
        _inFlight = new PriorityQueue<InFlightFrame, DeliveryOrder>(framesInFlight);
        _random = new DeterministicRandom(seed);
        _delayNs = profile.Delay.Ticks * TimeSpan.NanosecondsPerTick;
        _reorderDelayNs = profile.ReorderDelay.Ticks * TimeSpan.NanosecondsPerTick;
        _burstExitProbability = 1 / profile.BurstLength;
        _nanosecondsPerByte = profile.RateMbps == 0 ? 0 : 8_000 / profile.RateMbps;
    }

    public LinkProfile Profile { get; }
    public LinkCounters Counters => _counters;
    public Instant NextDelivery => _inFlight.TryPeek(out _, out var order) ? new Instant(order.DueNs) : Instant.Never;

    public void Send(ReadOnlySpan<byte> frame, Instant now)
    {
        _counters.FramesSent++;
        int headerLength = EthernetHeaderLength(frame);
        if (frame.Length < headerLength)
        {
            _counters.DroppedMalformed++;
            return;
        }
        if (frame.Length - headerLength > Profile.Mtu)
        {
            _counters.DroppedMtu++;
            return;
        }
        if (!TryEnterBottleneck(frame.Length, now.Nanoseconds, out long departsNs))
        {
            _counters.DroppedQueue++;
            return;
        }

        // Every frame that gets onto the wire draws the same numbers whatever the probabilities and outcomes, so the
        // k-th frame's fate depends only on the seed and k: changing one fault's probability never shifts another's pattern.
        double burstStep = _random.NextDouble();
        double burstLoss = _random.NextDouble();
        double randomLoss = _random.NextDouble();
        double corrupt = _random.NextDouble();
        ulong corruptPosition = _random.NextUInt64();
        double reorder = _random.NextDouble();
        double duplicate = _random.NextDouble();

        if (StepBurstState(burstStep) && burstLoss < Profile.BadStateLoss)
        {
            _counters.LostBurst++;
            return;
        }
        if (randomLoss < Profile.Loss)
        {
            _counters.LostRandom++;
            return;
        }
        if (!_pool.TryRent(out var buffer))
        {
            _counters.DroppedQueue++;
            return;
        }
        var copy = buffer.Span[..frame.Length];
        frame.CopyTo(copy);
        if (corrupt < Profile.Corrupt && FlipOneBit(copy[headerLength..], corruptPosition)) _counters.Corrupted++;

        long dueNs = departsNs + _delayNs;
        if (reorder < Profile.Reorder)
        {
            dueNs += _reorderDelayNs;
            _counters.Reordered++;
        }
        Schedule(buffer, frame.Length, dueNs);

        // The copy is made downstream of every other fault: it carries the same bits and arrives right after the original.
        // Without a free buffer there is simply no copy.
        if (duplicate < Profile.Duplicate && _pool.TryRent(out var duplicateBuffer))
        {
            copy.CopyTo(duplicateBuffer.Span);
            Schedule(duplicateBuffer, frame.Length, dueNs);
            _counters.Duplicated++;
        }
    }

    public int Deliver<THandler>(Instant now, ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFrames);
        int delivered = 0;
        while (delivered < maxFrames && _inFlight.TryPeek(out var frame, out var order) && order.DueNs <= now.Nanoseconds)
        {
            // Dequeue before the call: a handler that sends on this link re-enters with the heap in a consistent state.
            _inFlight.Dequeue();
            delivered++;
            _counters.FramesDelivered++;
            _counters.BytesDelivered += frame.Length;
            try
            {
                handler.OnFrame(frame.Buffer.Span[..frame.Length], new Instant(order.DueNs));
            }
            finally
            {
                _pool.Return(frame.Buffer);
            }
        }
        return delivered;
    }

    /// <summary>14, or 18 with an 802.1Q tag; a frame too short to show its EtherType gets 14 and fails the length check.</summary>
    private static int EthernetHeaderLength(ReadOnlySpan<byte> frame) =>
        frame.Length >= EthernetFrame.HeaderLength && (frame[12] << 8 | frame[13]) == VlanEtherType
            ? EthernetFrame.HeaderLength + EthernetFrame.VlanTagLength
            : EthernetFrame.HeaderLength;

    /// <summary>
    /// FIFO bottleneck: the frame starts serializing when the transmitter is free and departs size × 8 / rate later.
    /// The backlog is derived from the transmitter's busy-until time, so the queue needs no storage of its own.
    /// </summary>
    private bool TryEnterBottleneck(int length, long nowNs, out long departsNs)
    {
        departsNs = nowNs;
        if (_nanosecondsPerByte == 0) return true;
        long backlogNs = Math.Max(0, _transmitterBusyUntilNs - nowNs);
        if (Profile.QueueLimitBytes > 0 && backlogNs / _nanosecondsPerByte + length > Profile.QueueLimitBytes) return false;
        departsNs = nowNs + backlogNs + (long)Math.Round(length * _nanosecondsPerByte);
        _transmitterBusyUntilNs = departsNs;
        return true;
    }

    /// <summary>
    /// Gilbert–Elliott: good → bad with <see cref="LinkProfile.BurstLossStart"/>, bad → good with 1 / BurstLength, stepped
    /// before the frame's fate is decided, so the frame that enters the bad state is the first of its burst.
    /// </summary>
    private bool StepBurstState(double draw)
    {
        _inBurst = _inBurst ? draw >= _burstExitProbability : draw < Profile.BurstLossStart;
        return _inBurst;
    }

    /// <summary>Flips the bit chosen by <paramref name="draw"/>, uniformly over <paramref name="region"/>; false when it is empty.</summary>
    private static bool FlipOneBit(Span<byte> region, ulong draw)
    {
        if (region.IsEmpty) return false;
        // The high half of draw × bitCount is uniform in [0, bitCount) without a modulo bias.
        int bit = (int)Math.BigMul(draw, (ulong)region.Length * 8, out _);
        region[bit >> 3] ^= (byte)(1 << (bit & 7));
        return true;
    }

    private void Schedule(FrameBuffer buffer, int length, long dueNs) =>
        _inFlight.Enqueue(new InFlightFrame(buffer, length), new DeliveryOrder(dueNs, _nextSequence++));

    private readonly record struct InFlightFrame(FrameBuffer Buffer, int Length);

    /// <summary>Delivery time first; frames due at the same instant leave in the order they were scheduled.</summary>
    private readonly record struct DeliveryOrder(long DueNs, long Sequence) : IComparable<DeliveryOrder>
    {
        public int CompareTo(DeliveryOrder other)
        {
            int byTime = DueNs.CompareTo(other.DueNs);
            return byTime != 0 ? byTime : Sequence.CompareTo(other.Sequence);
        }
    }
}
