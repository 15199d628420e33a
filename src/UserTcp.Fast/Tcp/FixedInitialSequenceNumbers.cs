using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp;

/// <summary>Always the same ISN: for simulations that must start next to the 2^32 wrap, and for the live benchmark, which
/// replays a capture of one connection into the same connection of a later stack; never for real traffic.</summary>
internal sealed class FixedInitialSequenceNumbers(SeqNum iss) : IInitialSequenceNumberSource
{
    public SeqNum Next(TcpFourTuple tuple, Instant now) => iss;
}
