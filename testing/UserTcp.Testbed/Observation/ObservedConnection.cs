using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Observation;

/// <summary>One connection to the observed server port: its bursts in order (the first is whatever came before the first idle gap).</summary>
internal sealed class ObservedConnection(Ipv4Address clientAddress, ushort clientPort)
{
    public Ipv4Address ClientAddress => clientAddress;
    public ushort ClientPort => clientPort;
    public List<ObservedBurst> Bursts { get; } = [];
    /// <summary>Server segments that repeated data already sent, covered or not.</summary>
    public int Retransmissions { get; set; }
    /// <summary>Times new server data did not start where the previous ended: frames the capture missed; the analysis cannot cover those bytes.</summary>
    public int SequenceGaps { get; set; }
}
