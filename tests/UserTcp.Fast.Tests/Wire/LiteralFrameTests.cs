using UserTcp.Fast.Wire;
using static UserTcp.Fast.Tests.Wire.TestFrames;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>
/// Known frames (the literals in <see cref="TestFrames"/>) parsed to exact field values, and the header values emitted back into
/// buffers pre-filled with 0xA5 giving exactly the literal bytes, header by header and as whole frames.
/// </summary>
public class LiteralFrameTests
{
    private static readonly EthernetHeader ToGateway = new(GatewayMac, HostMac, EtherType.Ipv4);

    private static readonly Ipv4Header SynIp = new(HostIp, ServerIp, IpProtocol.Tcp, TimeToLive: 64, Identification: 0x1c46, DontFragment: true);
    private static readonly TcpHeader Syn = new(47330, 80, 997137105, 0, TcpFlags.Syn, 64240)
    {
        Options = new TcpOptions { MaximumSegmentSize = 1460, SackPermitted = true, Timestamps = new(1780235871, 0), WindowScale = 7 },
    };

    private static readonly ArpMessage WhoHasGateway = new(ArpOperation.Request, HostMac, HostIp, MacAddress.Zero, GatewayIp);

    private static readonly Ipv4Header PingIp = new(HostIp, GatewayIp, IpProtocol.Icmp, Identification: 0xa5b3);
    private static readonly IcmpEchoHeader Ping = new(IcmpType.EchoRequest, 3151, 1);

    private static readonly Ipv4Header DnsIpHeader = new(HostIp, DnsIp, IpProtocol.Udp, Identification: 0x3c5d, DontFragment: false);
    private static readonly UdpHeader Dns = new(53412, 53);

    private static readonly EthernetHeader ToGatewayVlan100 = ToGateway with { VlanId = 100 };
    private static readonly Ipv4Header AckIp = SynIp with { Identification = 0x1c47 };
    private static readonly TcpHeader Ack = new(47330, 80, 997137106, 2634826151, TcpFlags.Psh | TcpFlags.Ack, 502)
    {
        Options = new TcpOptions { Timestamps = new(1780236033, 2340299280) },
    };

    private static readonly EthernetHeader ToMdnsGroup = new(new MacAddress(0x0100_5e00_00fb), HostMac, EtherType.Ipv4);
    private static readonly Ipv4Header IgmpIp = new(HostIp, new Ipv4Address(224, 0, 0, 251), (IpProtocol)2, TimeToLive: 1, TypeOfService: 0xc0);
    private static readonly byte[] RouterAlert = [0x94, 0x04, 0x00, 0x00];

    [Fact]
    public void LinuxSyn_ParsesEveryField()
    {
        byte[] frame = LinuxSyn;

        Assert.Equal(WireStatus.Ok, EthernetFrame.TryParse(frame, out var ethernet));
        Assert.Equal(GatewayMac, ethernet.Destination);
        Assert.Equal(HostMac, ethernet.Source);
        Assert.Equal(EtherType.Ipv4, ethernet.EtherType);
        Assert.Equal(14, ethernet.Length);
        Assert.False(ethernet.HasVlanTag);
        Assert.Equal(0, ethernet.VlanId);
        Assert.Equal(60, ethernet.Payload.Length);

        Assert.Equal(WireStatus.Ok, Ipv4Packet.TryParse(ethernet.Payload, out var ip));
        Assert.Equal(20, ip.HeaderLength);
        Assert.Equal(60, ip.TotalLength);
        Assert.Equal(0, ip.TypeOfService);
        Assert.Equal(0x1c46, ip.Identification);
        Assert.True(ip.DontFragment);
        Assert.False(ip.MoreFragments);
        Assert.Equal(0, ip.FragmentOffset);
        Assert.False(ip.IsFragment);
        Assert.Equal(64, ip.TimeToLive);
        Assert.Equal(IpProtocol.Tcp, ip.Protocol);
        Assert.Equal(0xdc8c, ip.HeaderChecksum);
        Assert.Equal(new Ipv4Address(10, 0, 2, 15), ip.Source);
        Assert.Equal(new Ipv4Address(93, 184, 216, 34), ip.Destination);
        Assert.True(ip.Options.IsEmpty);
        Assert.Equal(SynIp, ip.ToHeader());

        Assert.Equal(WireStatus.Ok, TcpSegment.TryParse(ip.Payload, out var tcp));
        Assert.Equal(47330, tcp.SourcePort);
        Assert.Equal(80, tcp.DestinationPort);
        Assert.Equal(997137105u, tcp.SequenceNumber);
        Assert.Equal(0u, tcp.AcknowledgmentNumber);
        Assert.Equal(TcpFlags.Syn, tcp.Flags);
        Assert.Equal(64240, tcp.Window);
        Assert.Equal(0x5337, tcp.Checksum);
        Assert.Equal(0, tcp.UrgentPointer);
        Assert.Equal(40, tcp.HeaderLength);
        Assert.Equal(40, tcp.Length);
        Assert.True(tcp.Payload.IsEmpty);
        Assert.Equal(1, tcp.SequenceLength);
        Assert.Equal(ChecksumVerdict.Valid, tcp.VerifyChecksum(ip.Source, ip.Destination));
        var options = tcp.Options;
        Assert.Equal((ushort)1460, options.MaximumSegmentSize);
        Assert.True(options.SackPermitted);
        Assert.Equal(new TcpTimestamps(1780235871, 0), options.Timestamps);
        Assert.Equal((byte)7, options.WindowScale);
        Assert.Equal(0, options.SackBlockCount);
        Assert.Equal(0, options.UnknownCount);
        WireAssert.Equal(Syn, tcp.ToHeader());
    }

    [Fact]
    public void LinuxSyn_EmitsTheLiteralBytes()
    {
        byte[] frame = LinuxSyn;
        Assert.Equal(14, WireAssert.Emits(frame[..14], ToGateway.Emit));
        Assert.Equal(20, WireAssert.Emits(frame[14..34], b => SynIp.Emit(b, payloadLength: 40)));
        Assert.Equal(40, WireAssert.Emits(frame[34..], b => Syn.Emit(b[..40], HostIp, ServerIp)));
        Assert.Equal(20, Syn.Options.Length);
        Assert.Equal(20, WireAssert.Emits(frame[54..], Syn.Options.Emit));
    }

    [Fact]
    public void ArpRequest_ParsesEveryField()
    {
        byte[] frame = ArpRequest;
        Assert.Equal(WireStatus.Ok, EthernetFrame.TryParse(frame, out var ethernet));
        Assert.Equal(MacAddress.Broadcast, ethernet.Destination);
        Assert.True(ethernet.Destination.IsBroadcast);
        Assert.Equal(EtherType.Arp, ethernet.EtherType);

        Assert.Equal(WireStatus.Ok, ArpPacket.TryParse(ethernet.Payload, out var arp));
        Assert.Equal(ArpOperation.Request, arp.Operation);
        Assert.Equal(HostMac, arp.SenderHardwareAddress);
        Assert.Equal(new Ipv4Address(10, 0, 2, 15), arp.SenderProtocolAddress);
        Assert.Equal(MacAddress.Zero, arp.TargetHardwareAddress);
        Assert.Equal(new Ipv4Address(10, 0, 2, 2), arp.TargetProtocolAddress);
        Assert.Equal(WhoHasGateway, arp.ToMessage());
    }

    [Fact]
    public void ArpRequest_EmitsTheLiteralBytes()
    {
        byte[] frame = ArpRequest;
        var broadcast = new EthernetHeader(MacAddress.Broadcast, HostMac, EtherType.Arp);
        Assert.Equal(14, WireAssert.Emits(frame[..14], broadcast.Emit));
        Assert.Equal(ArpPacket.Length, WireAssert.Emits(frame[14..], WhoHasGateway.Emit));
    }

    [Fact]
    public void IcmpEchoRequest_ParsesEveryField()
    {
        var parsed = ParsedFrame.Parse(IcmpEchoRequest);
        Assert.Equal((Layer.Icmp, WireStatus.Ok), (parsed.Layer, parsed.Status));
        var ip = parsed.Ipv4!;
        Assert.Equal(PingIp, ip.Header);
        Assert.Equal((20, 84, (ushort)0x7ce5, false), (ip.HeaderLength, ip.TotalLength, ip.Checksum, ip.IsFragment));
        Assert.Empty(ip.Options);
        Assert.Equal(new IcmpFields(IcmpType.EchoRequest, 0, 0x7dd0, true, 3151, 1), parsed.Icmp);
        Assert.Equal(IcmpEchoRequest[42..], parsed.Payload);
        Assert.Equal(Enumerable.Range(0x10, 40).Select(b => (byte)b), parsed.Payload[16..]);
    }

    [Fact]
    public void IcmpEchoRequest_EmitsTheLiteralBytes()
    {
        byte[] frame = IcmpEchoRequest;
        Assert.Equal(20, WireAssert.Emits(frame[14..34], b => PingIp.Emit(b, payloadLength: 64)));
        Assert.Equal(8, WireAssert.Emits(frame[34..], b =>
        {
            frame.AsSpan(42).CopyTo(b[8..]);
            return Ping.Emit(b[..64]);
        }));
    }

    [Fact]
    public void DnsQuery_ParsesEveryField()
    {
        var parsed = ParsedFrame.Parse(DnsQuery);
        Assert.Equal((Layer.Udp, WireStatus.Ok), (parsed.Layer, parsed.Status));
        Assert.Equal(DnsIpHeader, parsed.Ipv4!.Header);
        Assert.False(parsed.Ipv4.Header.DontFragment);
        Assert.Equal((20, 57, (ushort)0x2646), (parsed.Ipv4.HeaderLength, parsed.Ipv4.TotalLength, parsed.Ipv4.Checksum));
        Assert.Equal(new UdpFields(Dns, 37, 0x2d20, ChecksumVerdict.Valid), parsed.Udp);
        Assert.Equal(29, parsed.Payload.Length);
        Assert.Equal("\u0007example\u0003com\0"u8.ToArray(), parsed.Payload[12..25]);
    }

    [Fact]
    public void DnsQuery_EmitsTheLiteralBytes()
    {
        byte[] frame = DnsQuery;
        Assert.Equal(20, WireAssert.Emits(frame[14..34], b => DnsIpHeader.Emit(b, payloadLength: 37)));
        Assert.Equal(8, WireAssert.Emits(frame[34..], b =>
        {
            frame.AsSpan(42).CopyTo(b[8..]);
            return Dns.Emit(b[..37], HostIp, DnsIp);
        }));
    }

    [Fact]
    public void VlanTcpAck_ParsesEveryField()
    {
        byte[] frame = VlanTcpAck;
        Assert.Equal(WireStatus.Ok, EthernetFrame.TryParse(frame, out var ethernet));
        Assert.True(ethernet.HasVlanTag);
        Assert.Equal(100, ethernet.VlanId);
        Assert.Equal(18, ethernet.Length);
        Assert.Equal(EtherType.Ipv4, ethernet.EtherType);
        Assert.Equal(58, ethernet.Payload.Length);

        var parsed = ParsedFrame.Parse(frame);
        Assert.Equal(new EthernetFields(ToGatewayVlan100, 18, true), parsed.Ethernet);
        Assert.Equal(AckIp, parsed.Ipv4!.Header);
        var tcp = parsed.Tcp!;
        WireAssert.Equal(Ack, tcp.Header);
        Assert.Equal((32, 38, (ushort)0xaa1f, 6), (tcp.HeaderLength, tcp.Length, tcp.Checksum, tcp.SequenceLength));
        Assert.Equal(ChecksumVerdict.Valid, tcp.Verdict);
        Assert.Equal("hello\n"u8.ToArray(), parsed.Payload);
    }

    [Fact]
    public void VlanTcpAck_EmitsTheLiteralBytes()
    {
        byte[] frame = VlanTcpAck;
        Assert.Equal(18, WireAssert.Emits(frame[..18], ToGatewayVlan100.Emit));
        Assert.Equal(32, WireAssert.Emits(frame[38..], b =>
        {
            "hello\n"u8.CopyTo(b[32..]);
            return Ack.Emit(b[..38], HostIp, ServerIp);
        }));
    }

    [Theory]
    [InlineData(0x0064, 100)] // priority 0
    [InlineData(0xA064, 100)] // priority 5
    [InlineData(0x1FFF, 4095)] // drop eligible
    [InlineData(0xF000, 0)] // priority tag only
    public void VlanId_IgnoresPriorityAndDropEligibleBits(int tagControl, int vlanId)
    {
        byte[] frame = VlanTcpAck;
        frame[14] = (byte)(tagControl >> 8);
        frame[15] = (byte)tagControl;
        Assert.Equal(WireStatus.Ok, EthernetFrame.TryParse(frame, out var ethernet));
        Assert.True(ethernet.HasVlanTag);
        Assert.Equal(vlanId, ethernet.VlanId);
    }

    [Fact]
    public void Ipv4WithRouterAlertOption_ParsesEveryField()
    {
        byte[] frame = IgmpReportRouterAlert;
        Assert.Equal(WireStatus.Ok, EthernetFrame.TryParse(frame, out var ethernet));
        Assert.True(ethernet.Destination.IsMulticast);
        Assert.Equal(WireStatus.Ok, Ipv4Packet.TryParse(ethernet.Payload, out var ip));
        Assert.Equal(24, ip.HeaderLength);
        Assert.Equal(32, ip.TotalLength);
        Assert.Equal(0xc0, ip.TypeOfService);
        Assert.Equal(1, ip.TimeToLive);
        Assert.Equal(2, (int)ip.Protocol);
        Assert.Equal(0xf70d, ip.HeaderChecksum);
        Assert.Equal(RouterAlert, ip.Options.ToArray());
        Assert.Equal(frame[38..], ip.Payload.ToArray());
        Assert.Equal(IgmpIp, ip.ToHeader());
    }

    [Fact]
    public void Ipv4WithRouterAlertOption_EmitsTheLiteralBytes()
    {
        byte[] frame = IgmpReportRouterAlert;
        Assert.Equal(14, WireAssert.Emits(frame[..14], ToMdnsGroup.Emit));
        Assert.Equal(24, WireAssert.Emits(frame[14..38], b => IgmpIp.Emit(b, payloadLength: 8, RouterAlert)));
    }

    [Theory]
    [MemberData(nameof(WrittenFrames))]
    public void FrameWriter_ComposesTheLiteralFrame(string name)
    {
        byte[] frame = Valid(name);
        Assert.Equal(frame.Length, WireAssert.Emits(frame, buffer => Write(name, buffer)));
    }

    public static TheoryData<string> WrittenFrames => [nameof(LinuxSyn), nameof(ArpRequest), nameof(IcmpEchoRequest), nameof(DnsQuery), nameof(VlanTcpAck)];

    private static int Write(string name, Span<byte> buffer) => name switch
    {
        nameof(LinuxSyn) => FrameWriter.WriteTcp(buffer, ToGateway, SynIp, Syn, []),
        nameof(ArpRequest) => FrameWriter.WriteArp(buffer, new EthernetHeader(MacAddress.Broadcast, HostMac, EtherType.Arp), WhoHasGateway),
        nameof(IcmpEchoRequest) => FrameWriter.WriteIcmpEcho(buffer, ToGateway, PingIp, Ping, IcmpEchoRequest.AsSpan(42)),
        nameof(DnsQuery) => FrameWriter.WriteUdp(buffer, ToGateway, DnsIpHeader, Dns, DnsQuery.AsSpan(42)),
        nameof(VlanTcpAck) => FrameWriter.WriteTcp(buffer, ToGatewayVlan100, AckIp, Ack, "hello\n"u8),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
