using System.Runtime.CompilerServices;

namespace UserTcp.Fast.Devices.Simulated;

/// <summary>
/// The behaviour of ONE direction of a <see cref="SimulatedLink"/>. Every property is validated when it is set
/// (including through <c>with</c>), so a profile that exists is a valid one.
/// </summary>
/// <remarks>
/// Sizes are whole Ethernet frames as handed to <see cref="SimulatedLink.Send"/> (header and payload, no
/// preamble, inter-frame gap or FCS): a 1514-byte frame at 100 Mbps serializes in exactly 121.12 µs.
/// </remarks>
internal sealed record LinkProfile
{
    /// <summary>The smallest IPv4 MTU every host must accept (RFC 791).</summary>
    public const int MinimumMtu = 68;
    public const int MaximumMtu = 65535;

    /// <summary>No loss, no faults, no delay, unlimited rate, MTU 1500.</summary>
    public static LinkProfile Perfect { get; } = new();

    /// <summary>Probability that a frame is lost, independently of every other frame.</summary>
    public double Loss { get; init => field = Probability(value); }

    /// <summary>
    /// Gilbert–Elliott bursty loss: probability, per frame, that the link moves from the good state into the bad
    /// state. 0 disables bursty loss.
    /// </summary>
    public double BurstLossStart { get; init => field = Probability(value); }

    /// <summary>
    /// Mean number of consecutive frames spent in the bad state (at least 1): each frame in the bad state leaves it
    /// with probability 1 / <see cref="BurstLength"/>, so bad runs are geometric with this mean.
    /// </summary>
    public double BurstLength
    {
        get;
        init => field = double.IsFinite(value) && value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(BurstLength), value, "The mean burst length must be a finite number of frames, at least 1.");
    } = 1;

    /// <summary>
    /// Probability that a frame sent while the link is in the bad state is lost. The default, 1, loses every frame
    /// of a burst, so loss runs have mean length <see cref="BurstLength"/>; lower it for the classic Gilbert–Elliott
    /// model where the bad state is merely lossy.
    /// </summary>
    public double BadStateLoss { get; init => field = Probability(value); } = 1;

    /// <summary>Probability that a delivered frame is delivered twice (the copy arrives right after the original).</summary>
    public double Duplicate { get; init => field = Probability(value); }

    /// <summary>Probability that a frame is held back by <see cref="ReorderDelay"/>, so frames sent after it overtake it.</summary>
    public double Reorder { get; init => field = Probability(value); }

    /// <summary>Extra delay of a reordered frame; must be positive, or nothing could overtake it.</summary>
    public TimeSpan ReorderDelay
    {
        get;
        init => field = value > TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(ReorderDelay), value, "The reorder delay must be positive.");
    } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Probability that one random bit is flipped somewhere after the Ethernet header (after the 802.1Q tag too, when
    /// there is one), where the IPv4 header or transport checksum catches it. The Ethernet header is never touched,
    /// so a corrupted frame still reaches the right receiver and is rejected there, as a frame with a bad IP or TCP
    /// checksum would be.
    /// </summary>
    public double Corrupt { get; init => field = Probability(value); }

    /// <summary>One-way propagation delay, added after serialization.</summary>
    public TimeSpan Delay
    {
        get;
        init => field = value >= TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Delay), value, "The propagation delay cannot be negative.");
    }

    /// <summary>
    /// Bottleneck rate in megabits per second; 0 means unlimited (no serialization delay and no queue). Frames wait
    /// in a FIFO queue and each takes size × 8 / rate to serialize.
    /// </summary>
    public double RateMbps
    {
        get;
        init => field = double.IsFinite(value) && value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(RateMbps), value, "The rate must be a finite, non-negative number of Mbps.");
    }

    /// <summary>
    /// Tail-drop limit of the bottleneck queue, in bytes not yet serialized (the rest of the frame being serialized
    /// included). 0 means no byte limit: only the link's frames-in-flight capacity bounds the queue. Ignored when
    /// <see cref="RateMbps"/> is 0.
    /// </summary>
    public int QueueLimitBytes
    {
        get;
        init => field = value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(QueueLimitBytes), value, "The queue limit cannot be negative.");
    }

    /// <summary>IP MTU: a frame whose payload after the Ethernet header (and 802.1Q tag) is longer is dropped.</summary>
    public int Mtu
    {
        get;
        init => field = value is >= MinimumMtu and <= MaximumMtu
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Mtu), value, $"The MTU must be between {MinimumMtu} and {MaximumMtu}.");
    } = 1500;

    // CallerMemberName inside an init accessor is the property's name, so the exception names the bad setting.
    private static double Probability(double value, [CallerMemberName] string? property = null) =>
        value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(property, value, "A probability must be between 0 and 1.");
}
