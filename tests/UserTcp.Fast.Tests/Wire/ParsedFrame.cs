using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>
/// A frame taken through every layer the stack parses, the way the receive path will: Ethernet, then ARP or IPv4,
/// then TCP, UDP or ICMP. Every accessor of every view is read and copied out, so an out-of-bounds read anywhere shows
/// (as an exception, or as a crash in the guard-page tests), and tests can compare fields after the spans are gone.
/// </summary>
internal sealed record ParsedFrame(Layer Layer, WireStatus Status)
{
    public EthernetFields? Ethernet { get; init; }
    public ArpMessage? Arp { get; init; }
    public Ipv4Fields? Ipv4 { get; init; }
    public TcpFields? Tcp { get; init; }
    public UdpFields? Udp { get; init; }
    public IcmpFields? Icmp { get; init; }
    /// <summary>The innermost payload reached (empty after a failure).</summary>
    public byte[] Payload { get; init; } = [];

    public static ParsedFrame Parse(ReadOnlySpan<byte> frame)
    {
        var status = EthernetFrame.TryParse(frame, out var ethernet);
        if (status != WireStatus.Ok) return new(Layer.Ethernet, status);
        var fields = new EthernetFields(
            new EthernetHeader(ethernet.Destination, ethernet.Source, ethernet.EtherType, ethernet.HasVlanTag ? ethernet.VlanId : null),
            ethernet.Length, ethernet.HasVlanTag);
        var inner = ethernet.EtherType switch
        {
            EtherType.Arp => ParseArp(ethernet.Payload),
            EtherType.Ipv4 => ParseIpv4(ethernet.Payload),
            _ => new ParsedFrame(Layer.Ethernet, WireStatus.Ok) { Payload = ethernet.Payload.ToArray() },
        };
        return inner with { Ethernet = fields };
    }

    public static ParsedFrame ParseArp(ReadOnlySpan<byte> packet)
    {
        var status = ArpPacket.TryParse(packet, out var arp);
        return status != WireStatus.Ok ? new(Layer.Arp, status) : new(Layer.Arp, status) { Arp = arp.ToMessage() };
    }

    /// <summary>Parses an IPv4 packet and, unless it is a fragment, the transport header it carries.</summary>
    public static ParsedFrame ParseIpv4(ReadOnlySpan<byte> packet)
    {
        var status = Ipv4Packet.TryParse(packet, out var ip);
        if (status != WireStatus.Ok) return new(Layer.Ipv4, status);
        var fields = new Ipv4Fields(ip.ToHeader(), ip.HeaderLength, ip.TotalLength, ip.HeaderChecksum, ip.Options.ToArray(), ip.IsFragment);
        var inner = ip.IsFragment ? null : ip.Protocol switch
        {
            IpProtocol.Tcp => ParseTcp(ip.Payload, ip.Source, ip.Destination),
            IpProtocol.Udp => ParseUdp(ip.Payload, ip.Source, ip.Destination),
            IpProtocol.Icmp => ParseIcmp(ip.Payload),
            _ => null,
        };
        return (inner ?? new ParsedFrame(Layer.Ipv4, WireStatus.Ok) { Payload = ip.Payload.ToArray() }) with { Ipv4 = fields };
    }

    public static ParsedFrame ParseTcp(ReadOnlySpan<byte> segment, Ipv4Address source, Ipv4Address destination)
    {
        var status = TcpSegment.TryParse(segment, out var tcp);
        if (status != WireStatus.Ok) return new(Layer.Tcp, status);
        return new(Layer.Tcp, status)
        {
            Tcp = new TcpFields(tcp.ToHeader(), tcp.HeaderLength, tcp.Length, tcp.Checksum, tcp.SequenceLength, tcp.Options.SackBlocks(),
                                tcp.VerifyChecksum(source, destination)),
            Payload = tcp.Payload.ToArray(),
        };
    }

    public static ParsedFrame ParseUdp(ReadOnlySpan<byte> datagram, Ipv4Address source, Ipv4Address destination)
    {
        var status = UdpDatagram.TryParse(datagram, out var udp);
        if (status != WireStatus.Ok) return new(Layer.Udp, status);
        return new(Layer.Udp, status)
        {
            Udp = new UdpFields(new UdpHeader(udp.SourcePort, udp.DestinationPort), udp.Length, udp.Checksum, udp.VerifyChecksum(source, destination)),
            Payload = udp.Payload.ToArray(),
        };
    }

    public static ParsedFrame ParseIcmp(ReadOnlySpan<byte> message)
    {
        var status = IcmpPacket.TryParse(message, out var icmp);
        if (status != WireStatus.Ok) return new(Layer.Icmp, status);
        return new(Layer.Icmp, status)
        {
            Icmp = new IcmpFields(icmp.Type, icmp.Code, icmp.Checksum, icmp.IsEcho, icmp.Identifier, icmp.SequenceNumber),
            Payload = icmp.Payload.ToArray(),
        };
    }

    /// <summary>
    /// Every parser entry point on the same bytes, as if they were each kind of header (a fuzzing aid: random bytes
    /// rarely get past the Ethernet type or the IPv4 checksum). Returns the parses in the order Ethernet, ARP, IPv4,
    /// TCP, UDP, ICMP, and the status of the bytes parsed as a TCP option area.
    /// </summary>
    public static (ParsedFrame[] Parses, WireStatus OptionsStatus) ParseAsEveryLayer(ReadOnlySpan<byte> bytes, Ipv4Address source, Ipv4Address destination)
    {
        var parses = new[]
        {
            Parse(bytes), ParseArp(bytes), ParseIpv4(bytes), ParseTcp(bytes, source, destination), ParseUdp(bytes, source, destination), ParseIcmp(bytes),
        };
        var optionsStatus = TcpOptions.TryParse(bytes, out var options);
        if (optionsStatus == WireStatus.Ok) options.SackBlocks();
        return (parses, optionsStatus);
    }
}
