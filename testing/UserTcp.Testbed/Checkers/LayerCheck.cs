using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Checkers;

/// <summary>
/// One check of one layer of a parsed frame (<c>TLayer</c> is the wire layer's view: <c>TcpSegment</c>, <c>Ipv4Packet</c>,
/// …): what differs, or null when it holds. Made by the factories of <see cref="EthernetCheck"/>, <see cref="Ipv4Check"/>,
/// <see cref="TcpCheck"/>, <see cref="UdpCheck"/>, <see cref="IcmpCheck"/> and <see cref="ArpCheck"/>; run by <see cref="Checker"/>.
/// </summary>
internal sealed class LayerCheck<TLayer>(Func<TLayer, string?> failure) where TLayer : allows ref struct
{
    public string? Failure(TLayer layer) => failure(layer);

    /// <summary>A check that <paramref name="field"/>, read by <paramref name="actual"/>, equals <paramref name="expected"/>.</summary>
    public static LayerCheck<TLayer> Field<TValue>(string field, TValue expected, Func<TLayer, TValue> actual) =>
        new(layer => Checker.Mismatch(field, expected, actual(layer)));

    /// <summary>
    /// A check that the layer carries <paramref name="inner"/> (<paramref name="wrongType"/> finds nothing wrong with its
    /// type field), that its <paramref name="payload"/> parses as such, and that it passes every one of <paramref name="checks"/>.
    /// </summary>
    public static LayerCheck<TLayer> Carrying<TInner>(string inner, Func<TLayer, string?> wrongType, Func<TLayer, ReadOnlySpan<byte>> payload,
                                                      LayerParser<TInner> parse, LayerCheck<TInner>[] checks) where TInner : allows ref struct =>
        new(layer => wrongType(layer)
                     ?? (parse(payload(layer), out var view) is var status && status != WireStatus.Ok ? $"{inner}: {status}" : Checker.Apply(view, checks)));
}
