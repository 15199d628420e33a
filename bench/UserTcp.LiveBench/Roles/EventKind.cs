namespace UserTcp.LiveBench.Roles;

/// <summary>
/// A single event after idle that the event server provokes on a connection (<see cref="EventRequest"/>) and the observer
/// times from the provoking frame to the receiver's answer: a duplicate ACK for out-of-order data, the ACK after a hole is
/// filled, the ACK (with a D-SACK block, RFC 2883) of a duplicate segment, the challenge ACK for an in-window RST (RFC 5961
/// §3.2), and the ACK of the last segment of a pushed burst of sub-MSS segments.
/// </summary>
internal enum EventKind { OutOfOrder, HoleFill, Duplicate, InWindowReset, PushedSubMss }
