using UserTcp.Fast.Tcp;
using UserTcp.Testbed.Live;

namespace UserTcp.LiveBench.Roles;

/// <summary>
/// The identity of the one connection that is recorded and replayed (ISN, ephemeral port and timestamp offset): with it
/// and the same request, the replaying stack's SYN, request and ACK numbers are those the capture answers.
/// </summary>
internal static class ReplayedConnection
{
    public static readonly ReplayableIdentity Identity = new(new SeqNum(0x5EED_0001), Seed: 0x11FE_BE4C);
}
