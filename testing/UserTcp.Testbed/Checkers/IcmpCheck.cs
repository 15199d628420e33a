using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Checkers;

/// <summary>Checks of an ICMPv4 message (RFC 792); identifier and sequence are an echo's.</summary>
internal static class IcmpCheck
{
    public static LayerCheck<IcmpPacket> Type(IcmpType expected) => LayerCheck<IcmpPacket>.Field("ICMP type", expected, i => i.Type);

    public static LayerCheck<IcmpPacket> Code(byte expected) => LayerCheck<IcmpPacket>.Field("ICMP code", expected, i => i.Code);

    public static LayerCheck<IcmpPacket> Identifier(ushort expected) => LayerCheck<IcmpPacket>.Field("ICMP echo identifier", expected, i => i.Identifier);

    public static LayerCheck<IcmpPacket> Sequence(ushort expected) => LayerCheck<IcmpPacket>.Field("ICMP echo sequence", expected, i => i.SequenceNumber);

    public static LayerCheck<IcmpPacket> PayloadLength(int expected) => LayerCheck<IcmpPacket>.Field("ICMP payload length", expected, i => i.Payload.Length);
}
