using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;
using UserTcp.Testbed.Frames;

namespace UserTcp.Fast.Tests.Interface;

/// <summary>
/// ARP poisoning attempts for the gateway's address (policy: Linux's, arp_process with arp_accept = 0 and a 1 s
/// locktime): a forged reply or request racing the gateway's own loses, an unsolicited reply creates nothing, and a
/// gratuitous ARP or anything after the lock time is accepted, as Linux accepts them (ARP carries no proof; the README
/// says so).
/// </summary>
public sealed class ArpPoisoningTests
{
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress GatewayMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress AttackerMac = MacAddress.Parse("02:66:66:66:66:66");
    private static readonly Ipv4Address Ours = new(198, 18, 0, 2), Gateway = new(198, 18, 0, 1), Stranger = new(198, 18, 0, 9);
    private static readonly Ipv4Address Beyond = new(198, 19, 7, 7); // off the subnet: goes through the gateway
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    private static byte[] Arp(ArpOperation op, MacAddress senderMac, Ipv4Address sender, Ipv4Address target)
    {
        var frame = new byte[60];
        FrameWriter.WriteArp(frame, new EthernetHeader(op == ArpOperation.Reply ? OurMac : MacAddress.Broadcast, senderMac, EtherType.Arp),
            new ArpMessage(op, senderMac, sender, op == ArpOperation.Reply ? OurMac : MacAddress.Zero, target));
        return frame;
    }

    /// <summary>The interface with the gateway resolved at <see cref="T0"/>: our request (for a ping beyond it), its reply.</summary>
    private static (NetworkInterface, FrameRecorder) WithGatewayResolved()
    {
        var capture = new FrameRecorder();
        var tcp = new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 1);
        var nic = new NetworkInterface(new InterfaceConfig { MacAddress = OurMac, Address = Ours, PrefixLength = 24, Gateway = Gateway }, tcp, capture);
        nic.SendEchoRequest(Beyond, 1, 1, new byte[8], T0);
        nic.OnFrame(Arp(ArpOperation.Reply, GatewayMac, Gateway, Ours), T0);
        capture.Frames.Clear();
        return (nic, capture);
    }

    /// <summary>Where a packet for beyond the gateway goes now.</summary>
    private static MacAddress NextHop(NetworkInterface nic, FrameRecorder capture, Instant now)
    {
        capture.Frames.Clear(); // answers to requests for our address
        nic.SendEchoRequest(Beyond, 1, 2, new byte[8], now);
        var frame = Assert.Single(capture.Frames);
        capture.Frames.Clear();
        Checker.Frame(frame, EthernetCheck.Type(EtherType.Ipv4));
        return MacAddress.Read(frame);
    }

    [Fact] // Linux locktime: forged replies within 1 s of the gateway's answer do not move it; nor do requests here (Linux
           // takes a request for its own address at once, neigh_event_ns overriding: stricter, as a request proves no more)
    public void Forged_arp_racing_the_gateways_answer_is_ignored()
    {
        var (nic, capture) = WithGatewayResolved();
        nic.OnFrame(Arp(ArpOperation.Reply, AttackerMac, Gateway, Ours), T0 + TimeSpan.FromMilliseconds(1));
        nic.OnFrame(Arp(ArpOperation.Request, AttackerMac, Gateway, Ours), T0 + TimeSpan.FromMilliseconds(500));
        Assert.Equal(GatewayMac, NextHop(nic, capture, T0 + TimeSpan.FromMilliseconds(600)));
        Assert.Equal(2, nic.Stats.ArpUpdatesLocked);
    }

    [Fact] // Linux arp_accept = 0: a reply nobody asked for creates no entry (a request for our address does)
    public void Unsolicited_reply_creates_no_entry()
    {
        var (nic, _) = WithGatewayResolved();
        nic.OnFrame(Arp(ArpOperation.Reply, AttackerMac, Stranger, Ours), T0);
        Assert.False(nic.IsResolved(Stranger));
    }

    [Fact] // as Linux: a gratuitous ARP (an announced move) is taken at once, and any ARP after the lock time
    public void Gratuitous_arp_and_late_replies_are_accepted_as_linux_does()
    {
        var (nic, capture) = WithGatewayResolved();
        nic.OnFrame(Arp(ArpOperation.Request, AttackerMac, Gateway, Gateway), T0 + TimeSpan.FromMilliseconds(10));
        Assert.Equal(AttackerMac, NextHop(nic, capture, T0 + TimeSpan.FromMilliseconds(20)));
        nic.OnFrame(Arp(ArpOperation.Reply, GatewayMac, Gateway, Ours), T0 + TimeSpan.FromSeconds(2));
        Assert.Equal(GatewayMac, NextHop(nic, capture, T0 + TimeSpan.FromSeconds(2)));
        Assert.Equal(0, nic.Stats.ArpUpdatesLocked);
    }
}
