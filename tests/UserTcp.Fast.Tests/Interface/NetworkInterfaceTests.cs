using UserTcp.Fast.Interface;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;
using UserTcp.Testbed.Frames;

namespace UserTcp.Fast.Tests.Interface;

/// <summary>The interface layer on a virtual clock: ARP, IPv4 validation, ICMP echo, UDP, checksum policy, drops by reason.</summary>
public sealed class NetworkInterfaceTests
{
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly Ipv4Address Ours = new(198, 18, 0, 2), Peer = new(198, 18, 0, 1), Stranger = new(198, 18, 0, 9);

    private sealed class Replies : IEchoReplyListener, IUdpReceiver
    {
        public readonly List<(Ipv4Address, ushort, ushort)> Echo = new();
        public readonly List<(Ipv4Address, ushort, byte[])> Udp = new();
        public readonly List<(ushort, Ipv4Address, UnreachableReason)> Unreachable = new();
        public void OnEchoReply(Ipv4Address from, ushort identifier, ushort sequence, int dataLength, byte ttl, Instant at) => Echo.Add((from, identifier, sequence));
        public void OnDatagram(Ipv4Address source, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, Instant at) => Udp.Add((source, sourcePort, payload.ToArray()));
        public void OnUnreachable(ushort localPort, Ipv4Address destination, UnreachableReason reason, Instant at) => Unreachable.Add((localPort, destination, reason));
    }

    private static (NetworkInterface, FrameRecorder) Create(ChecksumPolicy policy = ChecksumPolicy.Auto, bool hostLocal = false, Ipv4Address? gateway = null)
    {
        var capture = new FrameRecorder();
        var tcp = new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 1);
        var config = new InterfaceConfig { MacAddress = OurMac, Address = Ours, PrefixLength = 24, Checksums = policy, LinkIsHostLocal = hostLocal, Gateway = gateway };
        return (new NetworkInterface(config, tcp, capture), capture);
    }

    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    private static byte[] Arp(ArpOperation op, MacAddress senderMac, Ipv4Address sender, Ipv4Address target, MacAddress? to = null)
    {
        var frame = new byte[60];
        FrameWriter.WriteArp(frame, new EthernetHeader(to ?? MacAddress.Broadcast, senderMac, EtherType.Arp),
            new ArpMessage(op, senderMac, sender, op == ArpOperation.Reply ? OurMac : MacAddress.Zero, target));
        return frame;
    }

    private static byte[] Ping(Ipv4Address from, Ipv4Address to, ushort seq, MacAddress? dstMac = null)
    {
        var frame = new byte[14 + 20 + 8 + 32];
        FrameWriter.WriteIcmpEcho(frame, new EthernetHeader(dstMac ?? OurMac, PeerMac, EtherType.Ipv4),
            new Ipv4Header(from, to, IpProtocol.Icmp), new IcmpEchoHeader(IcmpType.EchoRequest, 77, seq), new byte[32]);
        return frame;
    }

    [Fact] // RFC 826: a request for our address is answered, and its sender learned
    public void Arp_request_for_us_is_answered()
    {
        var (nic, capture) = Create();
        nic.OnFrame(Arp(ArpOperation.Request, PeerMac, Peer, Ours), T0);
        Checker.Frame(Assert.Single(capture.Take()), EthernetCheck.Destination(PeerMac),
            EthernetCheck.Arp(ArpCheck.Operation(ArpOperation.Reply), ArpCheck.SenderMac(OurMac), ArpCheck.SenderAddress(Ours)));
        Assert.True(nic.IsResolved(Peer));
    }

    [Fact] // RFC 826: requests for other addresses get no answer and create no entry
    public void Arp_request_for_another_address_is_ignored()
    {
        var (nic, capture) = Create();
        nic.OnFrame(Arp(ArpOperation.Request, PeerMac, Peer, Stranger), T0);
        Assert.Empty(capture.Take());
        Assert.False(nic.IsResolved(Peer));
    }

    [Fact] // RFC 5227: a gratuitous ARP announces our address at start
    public void Start_sends_a_gratuitous_arp()
    {
        var (nic, capture) = Create();
        nic.Start(T0);
        Checker.Frame(Assert.Single(capture.Take()), EthernetCheck.Destination(MacAddress.Broadcast),
            EthernetCheck.Arp(ArpCheck.SenderAddress(Ours), ArpCheck.TargetAddress(Ours)));
    }

    [Fact] // RFC 792 / RFC 1122 §3.2.2.6: an echo request gets an echo reply with the same id, sequence and data
    public void Echo_request_is_answered()
    {
        var (nic, capture) = Create();
        nic.OnFrame(Ping(Peer, Ours, 5), T0);
        Checker.Frame(Assert.Single(capture.Take()), EthernetCheck.Ipv4(Ipv4Check.Destination(Peer),
            Ipv4Check.Icmp(IcmpCheck.Type(IcmpType.EchoReply), IcmpCheck.Identifier(77), IcmpCheck.Sequence(5), IcmpCheck.PayloadLength(32))));
    }

    [Fact] // the first packet to an unknown neighbour waits for ARP instead of being dropped; the reply releases it
    public void Packets_wait_for_arp_resolution()
    {
        var (nic, capture) = Create();
        var replies = new Replies();
        nic.EchoReplies = replies;
        nic.SendEchoRequest(Peer, 1, 1, new byte[8], T0);
        nic.SendEchoRequest(Peer, 1, 2, new byte[8], T0);
        Checker.Frame(Assert.Single(capture.Take()), EthernetCheck.Type(EtherType.Arp));
        nic.OnFrame(Arp(ArpOperation.Reply, PeerMac, Peer, Ours, OurMac), T0);
        var released = capture.Take();
        Assert.Equal(2, released.Count);
        Assert.All(released, f => Checker.Frame(f, EthernetCheck.Destination(PeerMac)));
    }

    [Fact] // no ARP answer after the retries: held packets are dropped, and a connection being opened fails as unreachable
    public void Unanswered_arp_makes_the_host_unreachable()
    {
        var (nic, capture) = Create();
        var connection = nic.Tcp.Connect(Ours, Stranger, 80, T0);
        nic.Flush(T0);
        Assert.Single(capture.Take()); // the first ARP request; the SYN waits
        var now = T0;
        for (int i = 0; i < 3; i++)
        {
            now += nic.Config.ArpRetryInterval;
            nic.OnTimers(now);
            nic.Flush(now);
        }
        Assert.Equal(TcpState.Closed, connection.State);
        Assert.Equal(TcpError.HostUnreachable, connection.Error);
        Assert.Equal(1, nic.Stats.ArpUnresolved);
        Assert.Equal(3, nic.Stats.ArpRequestsSent);
    }

    [Fact] // off-subnet destinations go through the gateway's MAC
    public void Off_link_destinations_use_the_gateway()
    {
        var (nic, capture) = Create(gateway: Peer);
        nic.OnFrame(Arp(ArpOperation.Request, PeerMac, Peer, Ours), T0); // a request for us: learned (an unasked reply is not)
        Assert.True(nic.IsResolved(Peer));
        capture.Take(); // our answer to it
        nic.SendUdp(5000, new Ipv4Address(198, 19, 7, 7), 53, new byte[10], T0);
        Checker.Frame(Assert.Single(capture.Take()), EthernetCheck.Destination(PeerMac));
    }

    [Fact] // without a gateway an off-subnet destination has no route: counted, the connection fails
    public void No_route_is_counted()
    {
        var (nic, capture) = Create();
        var connection = nic.Tcp.Connect(Ours, new Ipv4Address(198, 19, 1, 1), 80, T0);
        nic.Flush(T0);
        Assert.Empty(capture.Take());
        Assert.Equal(1, nic.Stats.NoRoute);
        Assert.Equal(TcpError.HostUnreachable, connection.Error);
    }

    [Fact] // RFC 768: datagrams reach the receiver bound to their port; others are counted
    public void Udp_is_demultiplexed_by_port()
    {
        var (nic, _) = Create();
        var replies = new Replies();
        nic.BindUdp(5353, replies);
        var frame = new byte[14 + 20 + 8 + 4];
        FrameWriter.WriteUdp(frame, new EthernetHeader(OurMac, PeerMac, EtherType.Ipv4), new Ipv4Header(Peer, Ours, IpProtocol.Udp),
            new UdpHeader(53, 5353), [1, 2, 3, 4]);
        nic.OnFrame(frame, T0);
        FrameWriter.WriteUdp(frame, new EthernetHeader(OurMac, PeerMac, EtherType.Ipv4), new Ipv4Header(Peer, Ours, IpProtocol.Udp),
            new UdpHeader(53, 9999), [1, 2, 3, 4]);
        nic.OnFrame(frame, T0);
        var datagram = Assert.Single(replies.Udp);
        Assert.Equal((ushort)53, datagram.Item2);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, datagram.Item3);
        Assert.Equal(1, nic.Stats.DropUdpNoListener);
    }

    [Fact] // RFC 1122 §4.1.3.3: ICMP destination unreachable quoting one of our datagrams reaches the port it left from
    public void Icmp_unreachable_reaches_the_udp_port_it_quotes()
    {
        var (nic, _) = Create(gateway: Peer);
        var replies = new Replies();
        nic.BindUdp(5353, replies);
        var far = new Ipv4Address(203, 0, 113, 9);
        nic.OnFrame(IcmpUnreachableFrame.Build(PeerMac, Peer, OurMac, Ours, code: 3, Peer, 5353, 53), T0);
        nic.OnFrame(IcmpUnreachableFrame.Build(PeerMac, Peer, OurMac, Ours, code: 1, far, 5353, 53), T0); // from a router
        nic.OnFrame(IcmpUnreachableFrame.Build(PeerMac, Peer, OurMac, Ours, code: 0, far, 5353, 53), T0);
        nic.OnFrame(IcmpUnreachableFrame.Build(PeerMac, Peer, OurMac, Ours, code: 3, Peer, 9999, 53), T0);     // a port nobody bound
        nic.OnFrame(IcmpUnreachableFrame.Build(PeerMac, Peer, OurMac, Stranger, code: 3, Peer, 5353, 53), T0); // quotes another sender
        Assert.Equal([(5353, Peer, UnreachableReason.PortUnreachable), (5353, far, UnreachableReason.HostUnreachable),
                      (5353, far, UnreachableReason.NetworkUnreachable)], replies.Unreachable);
    }

    [Fact] // RFC 1122 §4.2.3.9: ICMP about one connection's SYN fails that connection only; port unreachable is a refusal
    public void Icmp_unreachable_fails_only_the_connection_it_quotes()
    {
        var (nic, _) = Create();
        nic.OnFrame(Arp(ArpOperation.Reply, PeerMac, Peer, Ours, OurMac), T0);
        var refused = nic.Tcp.Connect(Ours, Peer, 80, T0);
        var unreachable = nic.Tcp.Connect(Ours, Peer, 81, T0);
        var untouched = nic.Tcp.Connect(Ours, Peer, 82, T0);
        nic.Flush(T0);
        ushort Port(TcpConnection c) => c.Tuple.LocalPort;
        nic.OnFrame(IcmpUnreachableFrame.Build(PeerMac, Peer, OurMac, Ours, code: 3, Peer, Port(refused), 80, IpProtocol.Tcp), T0);
        nic.OnFrame(IcmpUnreachableFrame.Build(PeerMac, Peer, OurMac, Ours, code: 1, Peer, Port(unreachable), 81, IpProtocol.Tcp), T0);
        nic.OnFrame(IcmpUnreachableFrame.Build(PeerMac, Peer, OurMac, Ours, code: 3, Peer, Port(untouched), 82), T0);      // about UDP
        nic.OnFrame(IcmpUnreachableFrame.Build(PeerMac, Peer, OurMac, Ours, code: 4, Peer, Port(untouched), 82, IpProtocol.Tcp), T0); // PMTU
        nic.OnFrame(IcmpUnreachableFrame.Build(PeerMac, Peer, OurMac, Stranger, code: 3, Peer, Port(untouched), 82, IpProtocol.Tcp), T0);
        Assert.Equal((TcpState.Closed, TcpError.ConnectionRefused), (refused.State, refused.Error));
        Assert.Equal((TcpState.Closed, TcpError.HostUnreachable), (unreachable.State, unreachable.Error));
        Assert.Equal((TcpState.SynSent, TcpError.None), (untouched.State, untouched.Error));
    }

    [Fact] // what UDP sends without a route, or to a neighbour that never answers ARP, is reported to the bound ports
    public void Unreachable_destinations_are_reported_to_udp_ports()
    {
        var (nic, _) = Create();
        var replies = new Replies();
        nic.BindUdp(5353, replies);
        var offLink = new Ipv4Address(198, 19, 1, 1);
        nic.SendUdp(5353, offLink, 53, new byte[10], T0);
        Assert.Equal([(5353, offLink, UnreachableReason.NoRoute)], replies.Unreachable);
        nic.SendUdp(5353, Stranger, 53, new byte[10], T0);
        for (int i = 1; i <= 3; i++) nic.OnTimers(T0 + i * nic.Config.ArpRetryInterval);
        Assert.Equal((5353, Stranger, UnreachableReason.NoArpReply), replies.Unreachable[^1]);
    }

    /// <summary>A SYN to a listener whose TCP checksum field holds only the pseudo-header sum, as a local kernel sends it.</summary>
    private static byte[] PartialChecksumSyn()
    {
        var frame = new byte[14 + 20 + 20];
        FrameWriter.WriteTcp(frame, new EthernetHeader(OurMac, PeerMac, EtherType.Ipv4), new Ipv4Header(Peer, Ours, IpProtocol.Tcp),
            new TcpHeader(40000, 80, 1, 0, TcpFlags.Syn, 1000), default);
        ushort pseudo = (ushort)InternetChecksum.PseudoHeaderSum(Peer, Ours, IpProtocol.Tcp, 20);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 20 + 16), pseudo);
        return frame;
    }

    [Theory] // the checksum policy: partial sums pass on host-local links (Auto) or when asked; never under Verify
    [InlineData(ChecksumPolicy.Auto, true, true)]
    [InlineData(ChecksumPolicy.Auto, false, false)]
    [InlineData(ChecksumPolicy.Verify, true, false)]
    [InlineData(ChecksumPolicy.AcceptPartial, false, true)]
    [InlineData(ChecksumPolicy.Off, false, true)]
    public void Partial_checksums_follow_the_policy(ChecksumPolicy policy, bool hostLocal, bool accepted)
    {
        var (nic, capture) = Create(policy, hostLocal);
        nic.Tcp.Listen(80);
        nic.OnFrame(PartialChecksumSyn(), T0);
        Assert.Equal(accepted ? 1 : 0, nic.Tcp.SynRequestCount);
        Assert.Equal(accepted ? 0 : 1, nic.Stats.DropBadChecksum);
    }

    [Theory] // where partial sums pass anyway, a field equal to the pseudo-header sum is taken as partial without summing the payload
    [InlineData(ChecksumPolicy.AcceptPartial, 1)]
    [InlineData(ChecksumPolicy.Verify, 0)]
    public void A_pseudo_header_sum_is_taken_as_partial_before_summing_where_partial_sums_pass(ChecksumPolicy policy, long countedPartial)
    {
        // The pseudo-header sum in the field, and the urgent pointer (ignored without URG) chosen so the whole sum is valid
        // too: only the order of the checks tells the verdicts apart.
        var frame = PartialChecksumSyn();
        var segment = frame.AsSpan(14 + 20);
        uint sum = InternetChecksum.Add(InternetChecksum.PseudoHeaderSum(Peer, Ours, IpProtocol.Tcp, segment.Length), InternetChecksum.Sum(segment));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(segment[18..], (ushort)(0xFFFF - sum));
        Assert.Equal(ChecksumVerdict.Valid, InternetChecksum.VerifyTransport(segment, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(segment[16..]), Peer, Ours, IpProtocol.Tcp));

        var (nic, _) = Create(policy);
        nic.Tcp.Listen(80);
        nic.OnFrame(frame, T0);
        Assert.Equal(1, nic.Tcp.SynRequestCount);
        Assert.Equal(countedPartial, nic.Stats.PartialChecksumsAccepted);
    }

    [Fact] // malformed and foreign frames are counted by reason, never thrown
    public void Bad_frames_are_counted_by_reason()
    {
        var (nic, capture) = Create();
        nic.OnFrame(new byte[5], T0);                                   // bad ethernet
        var notOurs = Ping(Peer, Ours, 1, dstMac: MacAddress.Parse("02:99:99:99:99:99"));
        nic.OnFrame(notOurs, T0);                                       // not for our MAC
        nic.OnFrame(Ping(Peer, Stranger, 1), T0);                       // IPv4 not for our address
        var corrupt = Ping(Peer, Ours, 1);
        corrupt[14 + 10] ^= 0xFF;                                       // IPv4 header checksum
        nic.OnFrame(corrupt, T0);
        var fragment = Ping(Peer, Ours, 1);
        fragment[14 + 6] = 0x20;                                        // MF set: a fragment
        InternetChecksum.Compute(fragment.AsSpan(14, 20));
        fragment[14 + 10] = fragment[14 + 11] = 0;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(14 + 10), InternetChecksum.Compute(fragment.AsSpan(14, 20)));
        nic.OnFrame(fragment, T0);
        var random = new DeterministicRandom(3);
        var junk = new byte[200];
        for (int i = 0; i < 2000; i++)
        {
            random.NextBytes(junk);
            OurMac.Write(junk); // make it past the MAC filter so the deeper parsers see it
            nic.OnFrame(junk.AsSpan(0, random.Next(0, junk.Length)), T0);
        }
        Assert.True(nic.Stats.DropBadEthernet >= 1);
        Assert.Equal(1, nic.Stats.DropNotForUs);
        Assert.Equal(1, nic.Stats.DropIpv4NotForUs);
        Assert.True(nic.Stats.DropBadIpv4 >= 1); // the corrupted header checksum, plus junk that carried the IPv4 type
        Assert.Equal(1, nic.Stats.DropFragment);
        Assert.True(nic.Stats.DropUnsupportedEtherType > 1500, "random ethertypes are mostly unknown");
        // Every frame is either handed on or counted as a drop, exactly once.
        Assert.Equal(nic.Stats.FramesReceived, nic.Stats.Delivered + nic.Stats.TotalDrops);
    }
}
