using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Checkers;

/// <summary>Checks of a UDP datagram (RFC 768).</summary>
internal static class UdpCheck
{
    public static LayerCheck<UdpDatagram> SourcePort(ushort expected) => LayerCheck<UdpDatagram>.Field("UDP source port", expected, u => u.SourcePort);

    public static LayerCheck<UdpDatagram> DestinationPort(ushort expected) => LayerCheck<UdpDatagram>.Field("UDP destination port", expected, u => u.DestinationPort);

    public static LayerCheck<UdpDatagram> PayloadLength(int expected) => LayerCheck<UdpDatagram>.Field("UDP payload length", expected, u => u.Payload.Length);
}
