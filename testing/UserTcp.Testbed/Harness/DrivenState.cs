namespace UserTcp.Testbed.Harness;

/// <summary>
/// Where <see cref="ConnectionStates.DriveTo"/> left the connection, from the peer's side: the ports its next segment
/// carries, the sequence number it sends next and the acknowledgment number that covers all we sent.
/// </summary>
internal readonly record struct DrivenState(ushort LocalPort, ushort PeerPort, uint PeerNext, uint AcknowledgesAll);
