using UserTcp.Fast.Wire;
using UserTcp.Testbed;
using UserTcp.Testbed.Checkers;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Checkers;

/// <summary>
/// The frame checkers themselves: every check holds on a frame built to match it, and fails naming the field, the
/// expected and actual values and the frame when one value is off; checksums are verified before any field.
/// </summary>
public sealed class CheckerTests
{
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:00:00:00:02"), PeerMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly Ipv4Address Ours = new(198, 18, 0, 2), Peer = new(198, 18, 0, 1);
    private const string TcpLine = "198.18.0.2.40000 > 198.18.0.1.80: Flags [P.], seq 1000:1010, ack 2000, win 500";

    private static TcpOptions Options()
    {
        var options = new TcpOptions { MaximumSegmentSize = 1460, SackPermitted = true, WindowScale = 7, Timestamps = new TcpTimestamps(5, 6) };
        options.AddSackBlock(new SackBlock(3000, 4000));
        return options;
    }

    private static byte[] TcpFrame()
    {
        var tcp = new TcpHeader(40000, 80, 1000, 2000, TcpFlags.Ack | TcpFlags.Psh, 500) { Options = Options() };
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + tcp.Length + 10];
        FrameWriter.WriteTcp(frame, new EthernetHeader(PeerMac, OurMac, EtherType.Ipv4), new Ipv4Header(Ours, Peer, IpProtocol.Tcp), tcp, new byte[10]);
        return frame;
    }

    private static byte[] UdpFrame()
    {
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + UdpDatagram.HeaderLength + 12];
        FrameWriter.WriteUdp(frame, new EthernetHeader(PeerMac, OurMac, EtherType.Ipv4), new Ipv4Header(Ours, Peer, IpProtocol.Udp, TimeToLive: 9),
            new UdpHeader(5353, 53), new byte[12]);
        return frame;
    }

    private static byte[] EchoFrame()
    {
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + IcmpPacket.HeaderLength + 32];
        FrameWriter.WriteIcmpEcho(frame, new EthernetHeader(PeerMac, OurMac, EtherType.Ipv4), new Ipv4Header(Ours, Peer, IpProtocol.Icmp, DontFragment: false),
            new IcmpEchoHeader(IcmpType.EchoReply, 77, 5), new byte[32]);
        return frame;
    }

    private static byte[] ArpFrame()
    {
        var frame = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        FrameWriter.WriteArp(frame, new EthernetHeader(PeerMac, OurMac, EtherType.Arp), new ArpMessage(ArpOperation.Reply, OurMac, Ours, PeerMac, Peer));
        return frame;
    }

    private static LayerCheck<EthernetFrame> InTcp(params LayerCheck<TcpSegment>[] checks) => EthernetCheck.Ipv4(Ipv4Check.Tcp(checks));

    [Fact]
    public void Every_check_holds_on_frames_built_to_match()
    {
        Checker.Frame(TcpFrame(), EthernetCheck.Source(OurMac), EthernetCheck.Destination(PeerMac), EthernetCheck.Type(EtherType.Ipv4),
            EthernetCheck.Ipv4(Ipv4Check.Source(Ours), Ipv4Check.Destination(Peer), Ipv4Check.Protocol(IpProtocol.Tcp), Ipv4Check.TimeToLive(64),
                Ipv4Check.DontFragment(),
                Ipv4Check.Tcp(TcpCheck.SourcePort(40000), TcpCheck.DestinationPort(80), TcpCheck.Flags(TcpFlags.Ack | TcpFlags.Psh), TcpCheck.Seq(1000),
                    TcpCheck.Ack(2000), TcpCheck.Window(500), TcpCheck.PayloadLength(10), TcpCheck.Mss(1460), TcpCheck.WindowScale(7),
                    TcpCheck.SackPermitted(), TcpCheck.SackBlocks(new SackBlock(3000, 4000)), TcpCheck.TimestampEcho(6))));
        Checker.Frame(UdpFrame(), EthernetCheck.Ipv4(Ipv4Check.TimeToLive(9),
            Ipv4Check.Udp(UdpCheck.SourcePort(5353), UdpCheck.DestinationPort(53), UdpCheck.PayloadLength(12))));
        Checker.Frame(EchoFrame(), EthernetCheck.Ipv4(Ipv4Check.DontFragment(false),
            Ipv4Check.Icmp(IcmpCheck.Type(IcmpType.EchoReply), IcmpCheck.Code(0), IcmpCheck.Identifier(77), IcmpCheck.Sequence(5), IcmpCheck.PayloadLength(32))));
        Checker.Frame(ArpFrame(), EthernetCheck.Type(EtherType.Arp), EthernetCheck.Arp(ArpCheck.Operation(ArpOperation.Reply), ArpCheck.SenderMac(OurMac),
            ArpCheck.SenderAddress(Ours), ArpCheck.TargetMac(PeerMac), ArpCheck.TargetAddress(Peer)));
    }

    public static TheoryData<string, string> WrongFields => new()
    {
        { "Ethernet source", "Ethernet source: expected 02:00:00:00:00:09, got 02:00:00:00:00:02" },
        { "Ethernet destination", "Ethernet destination: expected 02:00:00:00:00:09, got 02:00:00:00:00:01" },
        { "EtherType", "EtherType: expected Arp, got Ipv4" },
        { "IPv4 source", "IPv4 source: expected 198.18.0.9, got 198.18.0.2" },
        { "IPv4 destination", "IPv4 destination: expected 198.18.0.9, got 198.18.0.1" },
        { "IPv4 protocol", "IPv4 protocol: expected Udp, got Tcp" },
        { "IPv4 TTL", "IPv4 TTL: expected 63, got 64" },
        { "IPv4 DF", "IPv4 DF: expected False, got True" },
        { "TCP source port", "TCP source port: expected 40001, got 40000" },
        { "TCP destination port", "TCP destination port: expected 81, got 80" },
        { "TCP flags", "TCP flags: expected Ack, got Psh, Ack" },
        { "TCP seq", "TCP seq: expected 1001, got 1000" },
        { "TCP ack", "TCP ack: expected 2001, got 2000" },
        { "TCP window", "TCP window: expected 501, got 500" },
        { "TCP payload length", "TCP payload length: expected 11, got 10" },
        { "TCP MSS option", "TCP MSS option: expected none, got 1460" },
        { "TCP window scale option", "TCP window scale option: expected 8, got 7" },
        { "TCP SACK-permitted option", "TCP SACK-permitted option: expected False, got True" },
        { "TCP SACK blocks", "TCP SACK blocks: expected none, got 3000-4000" },
        { "TCP timestamp echo", "TCP timestamp echo: expected 7, got 6" },
    };

    private static readonly Dictionary<string, LayerCheck<EthernetFrame>> WrongChecks = new()
    {
        ["Ethernet source"] = EthernetCheck.Source(new MacAddress(0x02_00_00_00_00_09)),
        ["Ethernet destination"] = EthernetCheck.Destination(new MacAddress(0x02_00_00_00_00_09)),
        ["EtherType"] = EthernetCheck.Type(EtherType.Arp),
        ["IPv4 source"] = EthernetCheck.Ipv4(Ipv4Check.Source(new Ipv4Address(198, 18, 0, 9))),
        ["IPv4 destination"] = EthernetCheck.Ipv4(Ipv4Check.Destination(new Ipv4Address(198, 18, 0, 9))),
        ["IPv4 protocol"] = EthernetCheck.Ipv4(Ipv4Check.Protocol(IpProtocol.Udp)),
        ["IPv4 TTL"] = EthernetCheck.Ipv4(Ipv4Check.TimeToLive(63)),
        ["IPv4 DF"] = EthernetCheck.Ipv4(Ipv4Check.DontFragment(false)),
        ["TCP source port"] = InTcp(TcpCheck.SourcePort(40001)),
        ["TCP destination port"] = InTcp(TcpCheck.DestinationPort(81)),
        ["TCP flags"] = InTcp(TcpCheck.Flags(TcpFlags.Ack)),
        ["TCP seq"] = InTcp(TcpCheck.Seq(1001)),
        ["TCP ack"] = InTcp(TcpCheck.Ack(2001)),
        ["TCP window"] = InTcp(TcpCheck.Window(501)),
        ["TCP payload length"] = InTcp(TcpCheck.PayloadLength(11)),
        ["TCP MSS option"] = InTcp(TcpCheck.Mss(null)),
        ["TCP window scale option"] = InTcp(TcpCheck.WindowScale(8)),
        ["TCP SACK-permitted option"] = InTcp(TcpCheck.SackPermitted(false)),
        ["TCP SACK blocks"] = InTcp(TcpCheck.SackBlocks()),
        ["TCP timestamp echo"] = InTcp(TcpCheck.TimestampEcho(7)),
    };

    [Theory]
    [MemberData(nameof(WrongFields))]
    public void A_wrong_field_fails_naming_the_field_both_values_and_the_frame(string field, string mismatch)
    {
        var failure = Assert.Throws<TestbedException>(() => Checker.Frame(TcpFrame(), WrongChecks[field]));
        Assert.Equal($"{mismatch}\nin 02:00:00:00:00:02 > 02:00:00:00:00:01, IPv4, length 96: {TcpLine}", failure.Message[..failure.Message.IndexOf(", options", StringComparison.Ordinal)]);
        Assert.False(Checker.Matches(TcpFrame(), WrongChecks[field]));
    }

    [Fact]
    public void Wrong_fields_of_udp_icmp_and_arp_fail_by_name()
    {
        Assert.Contains("UDP destination port: expected 54, got 53",
            Assert.Throws<TestbedException>(() => Checker.Frame(UdpFrame(), EthernetCheck.Ipv4(Ipv4Check.Udp(UdpCheck.DestinationPort(54))))).Message);
        Assert.Contains("ICMP echo sequence: expected 6, got 5",
            Assert.Throws<TestbedException>(() => Checker.Frame(EchoFrame(), EthernetCheck.Ipv4(Ipv4Check.Icmp(IcmpCheck.Sequence(6))))).Message);
        Assert.Contains("ARP operation: expected Request, got Reply",
            Assert.Throws<TestbedException>(() => Checker.Frame(ArpFrame(), EthernetCheck.Arp(ArpCheck.Operation(ArpOperation.Request)))).Message);
        Assert.Contains("IPv4 protocol: expected Tcp, got Udp",
            Assert.Throws<TestbedException>(() => Checker.Frame(UdpFrame(), InTcp())).Message);
    }

    [Fact]
    public void Every_wrong_field_is_listed_a_line_each()
    {
        var failure = Assert.Throws<TestbedException>(() => Checker.Frame(TcpFrame(), EthernetCheck.Destination(OurMac), InTcp(TcpCheck.Seq(1), TcpCheck.Ack(2))));
        Assert.StartsWith("Ethernet destination: expected 02:00:00:00:00:02, got 02:00:00:00:00:01\nTCP seq: expected 1, got 1000\nTCP ack: expected 2, got 2000\nin ", failure.Message);
    }

    [Theory] // checksums first: a corrupt frame fails on its checksum, whatever the field checks would say
    [InlineData("TCP", "TCP checksum: expected Valid, got Invalid")]
    [InlineData("UDP", "UDP checksum: expected Valid, got Invalid")]
    [InlineData("ICMP", "ICMP: BadChecksum")]
    [InlineData("IPv4", "IPv4: BadChecksum")]
    public void A_bad_checksum_fails_before_any_field_is_checked(string layer, string expected)
    {
        var (frame, corruptAt) = layer switch
        {
            "TCP" => (TcpFrame(), 70),
            "UDP" => (UdpFrame(), 50),
            "ICMP" => (EchoFrame(), 50),
            _ => (TcpFrame(), EthernetFrame.HeaderLength + 8),
        };
        frame[corruptAt] ^= 0x01;
        var failure = Assert.Throws<TestbedException>(() => Checker.Frame(frame, EthernetCheck.Source(PeerMac)));
        Assert.StartsWith(expected + "\nin ", failure.Message);
        Assert.DoesNotContain("Ethernet source", failure.Message);
        Assert.False(Checker.Matches(frame));
    }

    [Fact] // a segment or packet without a frame: checked the same, summarised without a made-up Ethernet header
    public void Segments_and_packets_are_checked_on_their_own()
    {
        byte[] packet = TcpFrame()[EthernetFrame.HeaderLength..];
        byte[] segment = packet[Ipv4Packet.MinHeaderLength..];
        Checker.Ipv4(packet, Ipv4Check.Source(Ours), Ipv4Check.Tcp(TcpCheck.Seq(1000)));
        Checker.Tcp(segment, Ours, Peer, TcpCheck.Seq(1000), TcpCheck.TimestampEcho(6));

        var failure = Assert.Throws<TestbedException>(() => Checker.Tcp(segment, Ours, Peer, TcpCheck.Window(1)));
        Assert.StartsWith($"TCP window: expected 1, got 500\nin {TcpLine}", failure.Message);
        Assert.DoesNotContain("00:00:00:00:00:00", failure.Message);
        // The checksum covers the addresses: the right segment between other hosts is a bad one.
        Assert.StartsWith("TCP checksum: expected Valid, got Invalid", Assert.Throws<TestbedException>(() => Checker.Tcp(segment, Ours, new Ipv4Address(198, 18, 0, 9))).Message);
        Assert.StartsWith("IPv4 TTL: expected 1, got 64\nin 198.18.0.2.40000", Assert.Throws<TestbedException>(() => Checker.Ipv4(packet, Ipv4Check.TimeToLive(1))).Message);
    }

    [Fact] // the engine harness checks what the engine sent with the same checkers
    public void A_segment_the_engine_sent_fails_a_wrong_check()
    {
        var h = new EngineHarness();
        h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 80, h.Now);
        var syn = h.FlushSingle();
        syn.Check(TcpCheck.Flags(TcpFlags.Syn), TcpCheck.Seq(h.Iss));
        var failure = Assert.Throws<TestbedException>(() => syn.Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack), TcpCheck.Ack(1)));
        Assert.StartsWith("TCP flags: expected Syn, Ack, got Syn\nTCP ack: expected 1, got 0\nin 198.18.0.2.", failure.Message);
    }
}
