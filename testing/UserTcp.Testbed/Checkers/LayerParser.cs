using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Checkers;

/// <summary>A wire layer's <c>TryParse</c> (<c>Ipv4Packet.TryParse</c>, <c>TcpSegment.TryParse</c>, …) as a value.</summary>
internal delegate WireStatus LayerParser<TLayer>(ReadOnlySpan<byte> bytes, out TLayer view) where TLayer : allows ref struct;
