namespace UserTcp.Testbed.Observation;

/// <summary>One burst of server data as the observer saw it: its segments and how long each waited for a covering ACK.</summary>
internal sealed class ObservedBurst
{
    /// <summary>Distinct data segments (first transmissions) in the burst.</summary>
    public int Segments { get; set; }
    public long FirstSentNs { get; set; }
    public long LastSentNs { get; set; }
    /// <summary>For each segment covered so far, from its last transmission to the first client ACK whose number covers its end.</summary>
    public List<long> LatenciesNs { get; } = [];
    /// <summary>Client ACKs that covered at least one of this burst's segments (the first segment they covered decides the burst).</summary>
    public int CoveringAcks { get; set; }
    /// <summary>Every frame the client sent while the burst was in flight or within the idle gap after its last new data: the receiver's writes for it.</summary>
    public int ClientFrames { get; set; }
    /// <summary>Retransmissions of this burst's data seen before it was covered.</summary>
    public int Retransmissions { get; set; }
    public int Uncovered => Segments - LatenciesNs.Count;
    public long TrainNs => LastSentNs - FirstSentNs;
}
