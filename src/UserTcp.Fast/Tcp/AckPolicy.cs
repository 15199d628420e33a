using UserTcp.Fast.Tcp.Congestion;

namespace UserTcp.Fast.Tcp;

public enum AckPolicy
{
    /// <summary>At most one ACK per connection per receive batch, at least one per <see cref="TcpConfig.AckEverySegments"/> full segments, a delayed-ACK timer for the rest.</summary>
    Cumulative,
    /// <summary>Every data segment is ACKed at once, on its own: the classic homemade stack, kept for comparison.</summary>
    Naive,
}
