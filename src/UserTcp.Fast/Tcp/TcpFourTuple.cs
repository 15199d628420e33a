using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

/// <summary>A connection's identity, from our side: the key of the demultiplexing table.</summary>
internal readonly record struct TcpFourTuple(Ipv4Address LocalAddress, ushort LocalPort, Ipv4Address RemoteAddress, ushort RemotePort)
{
    public override string ToString() => $"{LocalAddress}:{LocalPort} <-> {RemoteAddress}:{RemotePort}";
}
