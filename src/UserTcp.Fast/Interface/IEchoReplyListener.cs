using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Interface;

/// <summary>Receives ICMP echo replies addressed to us (ping).</summary>
internal interface IEchoReplyListener
{
    void OnEchoReply(Ipv4Address from, ushort identifier, ushort sequence, int dataLength, byte timeToLive, Instant at);
}
