using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// Where the engine writes outgoing segments: <see cref="Begin"/> lends a buffer for one TCP segment (header and
/// payload: at least <see cref="TcpConfig.MaxSegmentSize"/> + 20 bytes, the engine never writes more) between two addresses, or an empty span when none is free (the engine stops and tries again at the
/// next flush); <see cref="Commit"/> says how many bytes the segment took. Implemented by the IP layer or a test.
/// </summary>
internal interface ITcpSegmentWriter
{
    Span<byte> Begin(Ipv4Address source, Ipv4Address destination);
    void Commit(int segmentLength);
}
