using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Interface;

/// <summary>Receives UDP datagrams for a bound port. The payload is valid only during the call.</summary>
internal interface IUdpReceiver
{
    void OnDatagram(Ipv4Address source, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, Instant at);

    /// <summary>
    /// What was sent from <paramref name="localPort"/> (or may be: no route and ARP failures concern every bound port)
    /// cannot reach <paramref name="destination"/> (RFC 1122 §4.1.3.3: UDP passes ICMP errors up). It may be called
    /// from inside <see cref="NetworkInterface.SendUdp"/>, so a receiver should note it and act at its next timer,
    /// not send from here.
    /// </summary>
    void OnUnreachable(ushort localPort, Ipv4Address destination, UnreachableReason reason, Instant at) { }
}
