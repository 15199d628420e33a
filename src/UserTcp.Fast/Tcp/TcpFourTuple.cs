using System.Buffers.Binary;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

/// <summary>A connection's identity, from our side: the key of the demultiplexing table.</summary>
internal readonly record struct TcpFourTuple(Ipv4Address LocalAddress, ushort LocalPort, Ipv4Address RemoteAddress, ushort RemotePort)
{
    /// <summary>The 12 bytes a keyed hash of the four-tuple reads (ISNs, SYN cookies).</summary>
    public const int Length = 12;

    public void Write(Span<byte> destination)
    {
        LocalAddress.Write(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], LocalPort);
        RemoteAddress.Write(destination[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], RemotePort);
    }

    public override string ToString() => $"{LocalAddress}:{LocalPort} <-> {RemoteAddress}:{RemotePort}";
}
