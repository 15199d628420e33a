using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;
using UserTcp.Testbed.Frames;

namespace UserTcp.Fast.Tests.Interface;

/// <summary>
/// Host-address mode (<see cref="InterfaceConfig.SharesHostAddress"/>): the kernel owns ARP, ping and every TCP port but
/// the stack's range and listeners, so the interface answers none of those, and never resets the kernel's connections.
/// </summary>
public sealed class SharedHostAddressTests
{
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly Ipv4Address Ours = new(198, 18, 0, 2), Peer = new(198, 18, 0, 1);
    private static readonly PortRange Reserved = new(40000, 40009);
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    private static (NetworkInterface, FrameRecorder) Create(bool shared)
    {
        var capture = new FrameRecorder();
        var tcp = new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 1, ephemeralPorts: shared ? Reserved : null);
        var config = new InterfaceConfig
        {
            MacAddress = OurMac, Address = Ours, PrefixLength = 24, SharesHostAddress = shared, LocalPorts = shared ? Reserved : null,
        };
        return (new NetworkInterface(config, tcp, capture), capture);
    }

    private static byte[] Arp(ArpOperation op, Ipv4Address target, MacAddress to)
    {
        var frame = new byte[60];
        FrameWriter.WriteArp(frame, new EthernetHeader(to, PeerMac, EtherType.Arp),
            new ArpMessage(op, PeerMac, Peer, op == ArpOperation.Reply ? OurMac : MacAddress.Zero, target));
        return frame;
    }

    private static byte[] Syn(ushort destinationPort)
    {
        var frame = new byte[14 + 20 + 20];
        FrameWriter.WriteTcp(frame, new EthernetHeader(OurMac, PeerMac, EtherType.Ipv4), new Ipv4Header(Peer, Ours, IpProtocol.Tcp),
            new TcpHeader(50000, destinationPort, 1, 0, TcpFlags.Syn, 1000), default);
        return frame;
    }

    [Fact] // the kernel announced its own address: no gratuitous ARP
    public void Start_sends_no_gratuitous_arp()
    {
        var (nic, capture) = Create(shared: true);
        nic.Start(T0);
        Assert.Empty(capture.Frames);
    }

    [Fact] // the kernel answers ARP for its address; the stack only learns the asker
    public void Arp_requests_for_the_shared_address_are_left_to_the_kernel()
    {
        var (nic, capture) = Create(shared: true);
        nic.OnFrame(Arp(ArpOperation.Request, Ours, MacAddress.Broadcast), T0);
        Assert.Empty(capture.Frames);
        Assert.True(nic.IsResolved(Peer));
        Assert.Equal(0, nic.Stats.ArpRepliesSent);
    }

    [Fact] // pcap shows the replies to the kernel's own requests: the stack learns its neighbours from them
    public void Replies_to_the_kernels_arp_requests_are_learned()
    {
        var (nic, _) = Create(shared: true);
        nic.OnFrame(Arp(ArpOperation.Reply, Ours, OurMac), T0);
        Assert.True(nic.IsResolved(Peer));
    }

    [Fact] // the kernel answers ping for its address; a second reply would be a duplicate
    public void Echo_requests_are_left_to_the_kernel()
    {
        var (nic, capture) = Create(shared: true);
        var frame = new byte[14 + 20 + 8 + 32];
        FrameWriter.WriteIcmpEcho(frame, new EthernetHeader(OurMac, PeerMac, EtherType.Ipv4),
            new Ipv4Header(Peer, Ours, IpProtocol.Icmp), new IcmpEchoHeader(IcmpType.EchoRequest, 77, 1), new byte[32]);
        nic.OnFrame(frame, T0);
        Assert.Empty(capture.Frames);
    }

    [Theory] // a segment for the kernel's port is the kernel's connection: no RST (it would kill it); ours as before
    [InlineData(true, 22, false)]
    [InlineData(true, 40005, true)]
    [InlineData(false, 22, true)]
    public void Only_the_stacks_own_ports_are_answered(bool shared, ushort port, bool reset)
    {
        var (nic, capture) = Create(shared);
        nic.AddStaticNeighbor(Peer, PeerMac);
        nic.OnFrame(Syn(port), T0);
        nic.Flush(T0);
        if (reset)
            Checker.Frame(Assert.Single(capture.Frames), EthernetCheck.Ipv4(Ipv4Check.Tcp(TcpCheck.Flags(TcpFlags.Rst | TcpFlags.Ack))));
        else
            Assert.Empty(capture.Frames);
        Assert.Equal(reset ? 0 : 1, nic.Stats.DropHostFlow);
    }

    [Fact] // a listener's port is the stack's even outside the range (serve --ip host keeps it from the kernel too)
    public void A_listeners_port_is_the_stacks()
    {
        var (nic, _) = Create(shared: true);
        nic.Tcp.Listen(8080);
        nic.OnFrame(Syn(8080), T0);
        Assert.Equal(1, nic.Tcp.SynRequestCount);
        Assert.Equal(0, nic.Stats.DropHostFlow);
    }

    [Fact] // active opens take their ports from the reserved range, all of it and nothing else
    public void Active_opens_use_the_reserved_range()
    {
        var (nic, _) = Create(shared: true);
        var ports = Enumerable.Range(0, Reserved.Count).Select(_ => nic.Tcp.Connect(Ours, Peer, 80, T0).Tuple.LocalPort).ToHashSet();
        Assert.Equal(Reserved.Count, ports.Count);
        Assert.All(ports, p => Assert.True(Reserved.Contains(p)));
        Assert.Throws<InvalidOperationException>(() => nic.Tcp.Connect(Ours, Peer, 80, T0));
    }

    [Fact]
    public void A_shared_address_needs_a_port_range() =>
        Assert.Throws<ArgumentException>(() => new InterfaceConfig { MacAddress = OurMac, Address = Ours, PrefixLength = 24, SharesHostAddress = true }.Validate());
}
