namespace UserTcp.Fast.Tcp;

/// <summary>When the receiver acknowledges data (<see cref="TcpConfig.AckPolicy"/>).</summary>
public enum AckPolicy
{
    /// <summary>
    /// One cumulative ACK per connection at the end of each receive batch that made one due, and one in the middle of
    /// a batch every <see cref="TcpConfig.MaxSegmentsPerAck"/> in-order data segments (a GSO super-frame counts as one).
    /// An ACK is due for out-of-order data, hole fills, duplicates, FINs, window openings and the first
    /// <see cref="TcpConfig.QuickAckSegments"/> data segments (quick-ack, again after an idle period), and once more than
    /// <see cref="TcpConfig.AckEverySegments"/> - 1 segments of the sender's measured size are unacknowledged. Otherwise
    /// the delayed-ACK timer sends it (<see cref="TcpConfig.DelayedAckTimeout"/>), unless the reader drains short or
    /// pushed data first.
    /// </summary>
    Cumulative,
    /// <summary>Every data segment is ACKed at once, on its own: the classic homemade stack, kept for comparison.</summary>
    Naive,
}
