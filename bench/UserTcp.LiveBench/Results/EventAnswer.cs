using UserTcp.LiveBench.Roles;

namespace UserTcp.LiveBench.Results;

/// <summary>
/// The receiver's answer to one probe as the observer saw it: the time from the probe passing the server's veth to the
/// receiver's first frame of that connection after it (pushed: the first ACK covering it), its acknowledgment number and
/// SACK blocks, and whether the first block was a D-SACK (RFC 2883 §4: below the cumulative ACK, or inside the second block).
/// <see cref="LatencyNs"/> is null when the capture holds the probe but no answer, or not even the probe.
/// </summary>
internal sealed record EventAnswer(EventProbe Probe, bool ProbeSeen, long? LatencyNs, uint Ack, bool Reset, int SackBlocks, bool DSack)
{
    /// <summary>
    /// Whether the answer acknowledged what the event should have made it acknowledge: RCV.NXT (the data before the probe)
    /// for out-of-order data and for a challenge ACK, the end of the probe for a duplicate and the pushed burst, the end of
    /// the out-of-order segment after it for a hole fill.
    /// </summary>
    public bool AsExpected => LatencyNs is not null && !Reset && Ack == Probe.Kind switch
    {
        EventKind.OutOfOrder => Probe.Sequence - (uint)BurstRequest.FullSegmentBytes,
        EventKind.HoleFill => Probe.Sequence + 2 * (uint)BurstRequest.FullSegmentBytes,
        EventKind.InWindowReset => Probe.Sequence - EventRequest.ResetOffset,
        _ => Probe.Sequence + (uint)Probe.Length,
    };
}
