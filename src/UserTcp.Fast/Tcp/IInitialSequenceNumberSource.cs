using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp;

/// <summary>Where a stack gets the initial sequence number of a new connection.</summary>
internal interface IInitialSequenceNumberSource
{
    SeqNum Next(TcpFourTuple tuple, Instant now);
}
