namespace UserTcp.LiveBench.Roles;

/// <summary>
/// One frame the event server made the receiver answer: injected (<see cref="IpId"/> is the marker it carried) or, for the
/// pushed burst, the last segment the server's kernel sent (<see cref="IpId"/> −1: matched by sequence and length alone).
/// The observer finds it in its capture and times the receiver's first frame after it (pushed: the first ACK covering it).
/// </summary>
internal sealed record EventProbe(EventKind Kind, uint Sequence, int Length, int Flags, int IpId);
