using UserTcp.Fast.Randomness;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Devices.Simulated;

/// <summary>
/// A deterministic, fault-injecting Ethernet link between two sides on a virtual clock. Sans-IO: no threads, no
/// clock reads; callers pass <c>now</c>, and the same seed with the same calls gives the same deliveries, byte for byte.
/// </summary>
/// <remarks>
/// <para><b>Fault order</b>, applied by <see cref="Send"/> to each frame in its direction:</para>
/// <list type="number">
/// <item>Shorter than an Ethernet header (18 bytes when the EtherType is 802.1Q): counted in
/// <see cref="LinkCounters.DroppedMalformed"/>. Payload after the header longer than <see cref="LinkProfile.Mtu"/>:
/// counted in <see cref="LinkCounters.DroppedMtu"/>. Neither draws random numbers.</item>
/// <item>Bottleneck (when <see cref="LinkProfile.RateMbps"/> is set): tail drop when the bytes not yet serialized plus
/// this frame exceed <see cref="LinkProfile.QueueLimitBytes"/>; otherwise the frame departs when the FIFO ahead of it
/// and its own serialization are done. Loss happens downstream, so a frame lost below still used the bottleneck.</item>
/// <item>Seven random draws, the same for every frame that gets this far, so each fault's pattern depends only on
/// the seed and the frame's position, not on the other probabilities.</item>
/// <item>Bursty loss (Gilbert–Elliott), then independent random loss.</item>
/// <item>Copy into a link buffer; when all are in flight, counted in <see cref="LinkCounters.DroppedQueue"/>.</item>
/// <item>Corruption: one bit flipped after the Ethernet header.</item>
/// <item>Reordering: the frame is held back by <see cref="LinkProfile.ReorderDelay"/>.</item>
/// <item>Delivery scheduled at departure + <see cref="LinkProfile.Delay"/> (+ the reorder delay).</item>
/// <item>Duplication: a copy of the frame as scheduled (corruption included) is due at the same instant, right after it.</item>
/// </list>
/// <para><b>Ownership.</b> Single-threaded, like the poll loop that drives it. Sent frames are copied into the link's
/// own pinned buffers (<c>framesInFlight</c> per direction, each Mtu + 18 bytes); nothing is allocated per frame.</para>
/// </remarks>
internal sealed class SimulatedLink
{
    /// <summary>Enough for a full bandwidth-delay product of 1000 full-size frames with room to spare.</summary>
    public const int DefaultFramesInFlight = 1024;

    private readonly LinkDirection _fromA;
    private readonly LinkDirection _fromB;

    /// <summary>A symmetric link: both directions behave as <paramref name="profile"/>, each with its own random stream.</summary>
    public SimulatedLink(LinkProfile profile, ulong seed, int framesInFlight = DefaultFramesInFlight)
        : this(profile, profile, seed, framesInFlight)
    {
    }

    /// <param name="aToB">How frames sent by side A travel.</param>
    /// <param name="bToA">How frames sent by side B travel.</param>
    /// <param name="seed">Replays the link's faults exactly.</param>
    /// <param name="framesInFlight">Buffers per direction: frames queued, propagating or awaiting delivery at once.</param>
    public SimulatedLink(LinkProfile aToB, LinkProfile bToA, ulong seed, int framesInFlight = DefaultFramesInFlight)
    {
        ArgumentNullException.ThrowIfNull(aToB);
        ArgumentNullException.ThrowIfNull(bToA);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(framesInFlight);
        Seed = seed;
        // Each direction gets its own stream derived from the seed, so traffic one way never perturbs the other's faults.
        var directionSeeds = new DeterministicRandom(seed);
        _fromA = new LinkDirection(aToB, directionSeeds.NextUInt64(), framesInFlight);
        _fromB = new LinkDirection(bToA, directionSeeds.NextUInt64(), framesInFlight);
    }

    public ulong Seed { get; }

    public LinkProfile ProfileFrom(LinkSide from) => From(from).Profile;

    /// <summary>A snapshot of what happened to the frames <paramref name="from"/> has sent.</summary>
    public LinkCounters CountersFrom(LinkSide from) => From(from).Counters;

    /// <summary>
    /// Puts a frame on the wire towards the other side. The bytes are copied, so <paramref name="frame"/> can be reused
    /// at once. Bad frames are counted as drops, never thrown.
    /// </summary>
    public void Send(LinkSide from, ReadOnlySpan<byte> frame, Instant now) => From(from).Send(frame, now);

    /// <summary>When the next frame for <paramref name="to"/> is due, or <see cref="Instant.Never"/> when none is in flight.</summary>
    public Instant NextDelivery(LinkSide to) => Towards(to).NextDelivery;

    /// <summary>The earlier of both sides' next deliveries: the instant a simulation should advance its clock to.</summary>
    public Instant NextDelivery() => Instant.Min(_fromA.NextDelivery, _fromB.NextDelivery);

    /// <summary>
    /// Hands <paramref name="handler"/> every frame for <paramref name="to"/> due at or before <paramref name="now"/>, at
    /// most <paramref name="maxFrames"/>, by delivery time (ties in send order), and returns how many. Each frame's
    /// buffer goes back to the link after its call, even if the handler throws. The handler may send on the link.
    /// </summary>
    /// <param name="maxFrames">Non-negative; 0 delivers nothing.</param>
    public int Deliver<THandler>(LinkSide to, Instant now, ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver =>
        Towards(to).Deliver(now, ref handler, maxFrames);

    private LinkDirection From(LinkSide side) => side switch
    {
        LinkSide.A => _fromA,
        LinkSide.B => _fromB,
        _ => throw UnknownSide(side),
    };

    private LinkDirection Towards(LinkSide side) => side switch
    {
        LinkSide.A => _fromB,
        LinkSide.B => _fromA,
        _ => throw UnknownSide(side),
    };

    private static ArgumentOutOfRangeException UnknownSide(LinkSide side) => new(nameof(side), side, "A link has sides A and B.");
}
