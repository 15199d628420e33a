using UserTcp.LiveBench.Roles;
using UserTcp.Testbed.Observation;

namespace UserTcp.LiveBench.Results;

/// <summary>One connection of one case: what the receiver, the server and the observer each saw.</summary>
internal sealed record AckRun(AckReceiver Receiver, int Burst, int Pass, ReceiverResult Result, ServedConnection Served, ObservedConnection Observed)
{
    /// <summary>The observed bursts without the first group, which is the warm-up transfer.</summary>
    public IEnumerable<ObservedBurst> Bursts => Observed.Bursts.Skip(1);

    /// <summary>The payload of every burst segment: the server's MSS (1448, or less on a listener with TCP_MAXSEG).</summary>
    public int SegmentBytes => Served.Mss;
}
