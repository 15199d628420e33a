using UserTcp.Fast.Tcp;

namespace UserTcp.Testbed.Live;

/// <summary>A fixed ISN and seed for the stack's ephemeral ports and timestamp offsets (see <see cref="LiveStack.Open"/>).</summary>
internal sealed record ReplayableIdentity(SeqNum InitialSequenceNumber, ulong Seed);
