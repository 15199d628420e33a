using UserTcp.Fast.Dhcp;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Simulation;

namespace UserTcp.Fast.Tests.Dhcp;

/// <summary>
/// The DHCP client (RFC 2131, with RFC 5227's probe) inside the stack as <see cref="Fast.Api.NetworkStack.CreateLoop"/> builds it,
/// against a <see cref="DhcpServerDouble"/> on a simulated link, every transition on virtual time.
/// </summary>
public class DhcpClientTests
{
    private static readonly TimeSpan Probe = new DhcpSettings().ProbeWait;

    [Fact]
    public void HappyPath_DiscoverOfferRequestAckProbe_ThenTheInterfaceHoldsTheLease()
    {
        var net = new DhcpTestNetwork();
        Assert.False(net.Nic.HasAddress);
        net.RunUntil(DhcpState.Bound);
        net.Idle(TimeSpan.FromMilliseconds(10)); // the announcement's way across

        Assert.Equal([DhcpMessageType.Discover, DhcpMessageType.Request], net.Server.Messages.Select(m => m.Message.Type));
        var discover = net.Server.Messages[0].Message;
        var request = net.Server.Messages[1].Message;
        Assert.All(net.Server.Messages, m => Assert.Equal(Ipv4Address.Any, m.Source)); // RFC 2131 §4.1: from 0.0.0.0
        Assert.True(discover.Broadcast && request.Broadcast);
        Assert.Equal(DhcpTestNetwork.ClientMac, discover.ClientMac);
        Assert.Equal(discover.TransactionId, request.TransactionId); // §4.4.1: the REQUEST answers the OFFER's xid
        Assert.Equal(DhcpTestNetwork.FirstOffer, request.RequestedIp);
        Assert.Equal(DhcpTestNetwork.ServerAddress, request.ServerIdentifier);
        Assert.Equal(Ipv4Address.Any, request.ClientAddress);
        foreach (var (_, frame) in net.ClientFrames.Where(f => IsDhcp(f.Frame)))
        {
            EthernetFrame.TryParse(frame, out var ethernet);
            Ipv4Packet.TryParse(ethernet.Payload, out var ip);
            Assert.True(ethernet.Destination.IsBroadcast);
            Assert.Equal(Ipv4Address.Broadcast, ip.Destination);
        }

        // The probe (sender 0.0.0.0), then the announcement once the probe wait passed with no answer.
        var arps = net.ClientFrames.Select(f => Arp(f.Frame)).Where(a => a is not null).ToList();
        Assert.Equal(new ArpMessage(ArpOperation.Request, DhcpTestNetwork.ClientMac, Ipv4Address.Any, MacAddress.Zero, DhcpTestNetwork.FirstOffer), arps[0]);
        Assert.Equal(DhcpTestNetwork.FirstOffer, arps[1]!.Value.SenderProtocolAddress);
        Assert.Equal(DhcpTestNetwork.FirstOffer, arps[1]!.Value.TargetProtocolAddress);

        var lease = net.Dhcp.Lease!;
        Assert.Equal(DhcpTestNetwork.FirstOffer, net.Nic.Config.Address);
        Assert.Equal(24, net.Nic.Config.PrefixLength);
        Assert.Equal(DhcpTestNetwork.ServerAddress, net.Nic.Config.Gateway);
        Assert.Equal([DhcpTestNetwork.Dns], net.Client.Resolver!.Servers);
        Assert.Equal(TimeSpan.FromSeconds(120), lease.Duration);
        Assert.Equal(net.Server.Messages[1].At + TimeSpan.FromMilliseconds(59_999), lease.RenewAt); // T1 from the REQUEST, sent 1 ms before it arrived
        Assert.Equal(1, net.Dhcp.Stats.LeasesObtained);
        Assert.Equal(1, net.Dhcp.Stats.ProbesSent);
    }

    [Fact]
    public void Option26_LowersTheInterfaceMtuAndNewConnectionsMss()
    {
        var net = new DhcpTestNetwork();
        net.Server.Mtu = 1400;
        net.RunUntil(DhcpState.Bound);
        Assert.Equal(1400, net.Nic.Config.Mtu);
        Assert.Equal(1360, net.Nic.Tcp.Config.MaxSegmentSize);
    }

    /// <summary>Without an address, an ARP request for 0.0.0.0 (the address it "holds") must not be answered.</summary>
    [Fact]
    public void BeforeTheLease_TheInterfaceAnswersNoArp()
    {
        var net = new DhcpTestNetwork();
        net.Server.Silent = true;
        net.Idle(TimeSpan.FromSeconds(1));
        var frame = new byte[64];
        var serverMac = net.Server.Nic.Config.MacAddress;
        int length = FrameWriter.WriteArp(frame, new EthernetHeader(MacAddress.Broadcast, serverMac, EtherType.Arp),
            new ArpMessage(ArpOperation.Request, serverMac, DhcpTestNetwork.ServerAddress, MacAddress.Zero, Ipv4Address.Any));
        net.TransmitFromFarSide(frame.AsSpan(0, length));
        net.Idle(TimeSpan.FromSeconds(1));
        Assert.Equal(0, net.Nic.Stats.ArpRepliesSent);
        Assert.DoesNotContain(net.ClientFrames, f => Arp(f.Frame) is { Operation: ArpOperation.Reply });
    }

    /// <summary>Nothing is addressed to 0.0.0.0: before the lease only broadcast UDP gets in.</summary>
    [Fact]
    public void BeforeTheLease_UdpTo0000IsNotForUs()
    {
        var net = new DhcpTestNetwork();
        net.Server.Silent = true;
        net.Idle(TimeSpan.FromSeconds(1));
        var frame = new byte[128];
        var serverMac = net.Server.Nic.Config.MacAddress;
        int length = FrameWriter.WriteUdp(frame, new EthernetHeader(DhcpTestNetwork.ClientMac, serverMac, EtherType.Ipv4),
            new Ipv4Header(DhcpTestNetwork.ServerAddress, Ipv4Address.Any, IpProtocol.Udp, 64, 1),
            new UdpHeader(DhcpMessage.ServerPort, DhcpMessage.ClientPort), new byte[20]);
        net.TransmitFromFarSide(frame.AsSpan(0, length));
        net.Idle(TimeSpan.FromSeconds(1));
        Assert.Equal(1, net.Nic.Stats.DropIpv4NotForUs);
        Assert.Equal(0, net.Dhcp.Stats.DroppedMalformed);
    }

    [Fact]
    public void NoServer_RetransmitsAfter4_8_16_32_64sWithinOneSecond_ThenFails()
    {
        var net = new DhcpTestNetwork();
        net.Server.Silent = true;
        net.RunUntil(DhcpState.Failed, TimeSpan.FromMinutes(5));
        var times = net.Server.Of(DhcpMessageType.Discover).Select(m => m.At).ToList();
        Assert.Equal(5, times.Count);
        double[] expected = [4, 8, 16, 32];
        for (int i = 0; i < expected.Length; i++)
        {
            double gap = (times[i + 1] - times[i]).TotalSeconds;
            Assert.InRange(gap, expected[i] - 1, expected[i] + 1);
        }
        double last = (net.Now - times[^1]).TotalSeconds;
        Assert.InRange(last, 63, 65);
        Assert.Contains("no DHCP server answered 5 DISCOVERs", net.Dhcp.Failure);
        Assert.Equal(4, net.Dhcp.Stats.Retransmissions);
        Assert.Equal(Instant.Never, net.Dhcp.NextDeadline);
        Assert.False(net.Nic.HasAddress);
    }

    [Fact]
    public void Nak_RestartsWithANewDiscover()
    {
        var net = new DhcpTestNetwork();
        net.Server.NakNextRequest = true;
        net.RunUntil(DhcpState.Bound);
        Assert.Equal([DhcpMessageType.Discover, DhcpMessageType.Request, DhcpMessageType.Discover, DhcpMessageType.Request],
                     net.Server.Messages.Select(m => m.Message.Type));
        Assert.NotEqual(net.Server.Messages[0].Message.TransactionId, net.Server.Messages[2].Message.TransactionId);
        Assert.Equal(1, net.Dhcp.Stats.NaksReceived);
        Assert.True(net.Nic.HasAddress);
    }

    [Fact]
    public void OfferedAddressInUse_ProbeAnswered_DeclineWaitTenSecondsThenANewAddress()
    {
        var net = new DhcpTestNetwork(squatter: true);
        net.RunUntil(DhcpState.Bound, TimeSpan.FromMinutes(1));
        var decline = Assert.Single(net.Server.Of(DhcpMessageType.Decline));
        Assert.Equal(DhcpTestNetwork.FirstOffer, decline.Message.RequestedIp);
        Assert.Equal(DhcpTestNetwork.ServerAddress, decline.Message.ServerIdentifier);
        var secondDiscover = net.Server.Of(DhcpMessageType.Discover).Skip(1).First();
        Assert.InRange((secondDiscover.At - decline.At).TotalSeconds, 10, 10.01); // RFC 2131 §3.1.5
        Assert.Equal(new Ipv4Address(DhcpTestNetwork.FirstOffer.Value + 1), net.Nic.Config.Address);
        Assert.Equal(1, net.Dhcp.Stats.Conflicts);
        Assert.Equal(1, net.Squatter!.Stats.ArpRepliesSent); // it answered the probe; nothing else claimed its address
    }

    /// <summary>The stack shares the interface's MAC with the host, so a server that knows clients by MAC offers the host's own
    /// address, which no probe can catch (the kernel never sees the stack's frames): the client stops with a clear failure
    /// and sends neither REQUEST nor DECLINE. The device is named "lo", whose kernel address 127.0.0.1 the server offers.</summary>
    [Fact]
    public void OfferOfTheHostsOwnAddress_FailsClearlyWithoutRequestOrDecline()
    {
        var net = new DhcpTestNetwork(deviceName: "lo", firstOffer: new Ipv4Address(127, 0, 0, 1));
        net.RunUntil(DhcpState.Failed);
        Assert.Contains("offered 127.0.0.1, the host's own address on this interface", net.Dhcp.Failure);
        Assert.Equal([DhcpMessageType.Discover], net.Server.Messages.Select(m => m.Message.Type));
        Assert.False(net.Nic.HasAddress);
    }

    [Fact]
    public void RenewalAtT1_UnicastToTheServer_KeepsTheAddressAndAConnection()
    {
        var net = new DhcpTestNetwork();
        net.RunUntil(DhcpState.Bound);
        var address = net.Nic.Config.Address;
        var renewAt = net.Dhcp.Lease!.RenewAt;
        net.Server.Nic.Tcp.Listen(80);
        var connection = net.Nic.Tcp.Connect(address, DhcpTestNetwork.ServerAddress, 80, net.Now);
        Assert.True(net.RunUntil(() => connection.State == TcpState.Established, TimeSpan.FromSeconds(5)));

        Assert.True(net.RunUntil(() => net.Dhcp.Stats.Renewals == 1, TimeSpan.FromSeconds(70)));
        var renewal = net.Server.Of(DhcpMessageType.Request).Last();
        Assert.InRange((renewal.At - renewAt).TotalMilliseconds, 0, 2);
        Assert.Equal(address, renewal.Source); // unicast, from the leased address
        Assert.Equal(address, renewal.Message.ClientAddress);
        Assert.Null(renewal.Message.ServerIdentifier); // RFC 2131 table 5: not in RENEWING
        Assert.Null(renewal.Message.RequestedIp);
        Assert.Equal(DhcpState.Bound, net.Dhcp.State);
        Assert.Equal(address, net.Nic.Config.Address);
        Assert.True(net.Dhcp.Lease!.RenewAt > renewAt);
        Assert.Equal(TcpState.Established, connection.State);

        // Two more lease periods: renewed each time, the connection untouched.
        net.Idle(TimeSpan.FromSeconds(240));
        Assert.True(net.Dhcp.Stats.Renewals >= 4);
        Assert.Equal(TcpState.Established, connection.State);
        Assert.Equal(0, net.Dhcp.Stats.Expiries);
    }

    [Fact]
    public void RebindingAtT2_BroadcastReachesAServerThatIgnoredTheRenewals()
    {
        var net = new DhcpTestNetwork();
        net.RunUntil(DhcpState.Bound);
        var lease = net.Dhcp.Lease!;
        net.Server.IgnoreUnicast = true;
        net.RunUntil(DhcpState.Rebinding, TimeSpan.FromSeconds(110));
        Assert.True(net.RunUntil(() => net.Dhcp.Stats.Renewals == 1, TimeSpan.FromSeconds(1)));
        var requests = net.Server.Of(DhcpMessageType.Request).Skip(1).ToList();
        Assert.Equal(2, requests.Count); // at T1 (60 s) and, 45 s later (less than the 60 s minimum), at T2
        Assert.InRange((requests[0].At - lease.RenewAt).TotalMilliseconds, 0, 4); // after an ARP exchange for the server
        Assert.InRange((requests[1].At - lease.RebindAt).TotalMilliseconds, 0, 2);
        Assert.Equal(DhcpState.Bound, net.Dhcp.State);
        Assert.Equal(lease.Address, net.Nic.Config.Address);
    }

    [Fact]
    public void Expiry_TheAddressGoes_ConnectionsFailWithAddressLost_AndDiscoveryStartsAgain()
    {
        var net = new DhcpTestNetwork();
        net.RunUntil(DhcpState.Bound);
        var lease = net.Dhcp.Lease!;
        net.Server.Nic.Tcp.Listen(80);
        var connection = net.Nic.Tcp.Connect(lease.Address, DhcpTestNetwork.ServerAddress, 80, net.Now);
        Assert.True(net.RunUntil(() => connection.State == TcpState.Established, TimeSpan.FromSeconds(5)));
        net.Server.Silent = true;
        Assert.True(net.RunUntil(() => net.Dhcp.Stats.Expiries == 1, TimeSpan.FromSeconds(130)));
        Assert.Equal(lease.ExpiresAt, net.Now);
        Assert.False(net.Nic.HasAddress);
        Assert.Null(net.Dhcp.Lease);
        Assert.Equal(TcpState.Closed, connection.State);
        Assert.Equal(TcpError.AddressLost, connection.Error);
        Assert.Equal(DhcpState.Selecting, net.Dhcp.State);
        var expiredAt = net.Now;
        net.Idle(TimeSpan.FromMilliseconds(10));
        Assert.Equal(expiredAt + TimeSpan.FromMilliseconds(1), net.Server.Messages[^1].At);
        Assert.Equal(DhcpMessageType.Discover, net.Server.Messages[^1].Message.Type);
    }

    [Fact]
    public void Release_GivesTheLeaseBackAndTheAddressUp()
    {
        var net = new DhcpTestNetwork();
        net.RunUntil(DhcpState.Bound);
        var lease = net.Dhcp.Lease!;
        net.Dhcp.Release(net.Now);
        net.Idle(TimeSpan.FromSeconds(1));
        var release = Assert.Single(net.Server.Of(DhcpMessageType.Release));
        Assert.Equal(lease.Address, release.Message.ClientAddress);
        Assert.Equal(DhcpTestNetwork.ServerAddress, release.Message.ServerIdentifier);
        Assert.Equal(DhcpState.Released, net.Dhcp.State);
        Assert.False(net.Nic.HasAddress);
        Assert.False(net.Nic.IsUdpBound(DhcpMessage.ClientPort));
    }

    [Fact]
    public void ForeignAndMalformedMessages_AreCountedAndIgnored()
    {
        var net = new DhcpTestNetwork();
        net.Server.Silent = true;
        net.Idle(TimeSpan.FromMilliseconds(10));
        var offer = new DhcpMessage
        {
            IsReply = true, Type = DhcpMessageType.Offer, TransactionId = 1234, Broadcast = true, ClientMac = DhcpTestNetwork.ClientMac,
            YourAddress = DhcpTestNetwork.FirstOffer, ServerIdentifier = DhcpTestNetwork.ServerAddress,
        };
        var buffer = new byte[offer.Length];
        offer.Write(buffer);
        net.Server.Nic.SendUdp(DhcpMessage.ServerPort, Ipv4Address.Broadcast, DhcpMessage.ClientPort, buffer, net.Now); // wrong xid
        net.Server.Nic.SendUdp(DhcpMessage.ServerPort, Ipv4Address.Broadcast, DhcpMessage.ClientPort, buffer.AsSpan(0, 100), net.Now);
        net.Idle(TimeSpan.FromSeconds(1));
        Assert.Equal(1, net.Dhcp.Stats.DroppedUnexpected);
        Assert.Equal(1, net.Dhcp.Stats.DroppedMalformed);
        Assert.Equal(DhcpState.Selecting, net.Dhcp.State);
    }

    private static bool IsDhcp(byte[] frame) =>
        EthernetFrame.TryParse(frame, out var ethernet) == WireStatus.Ok && ethernet.EtherType == EtherType.Ipv4
        && Ipv4Packet.TryParse(ethernet.Payload, out var ip) == WireStatus.Ok && ip.Protocol == IpProtocol.Udp
        && UdpDatagram.TryParse(ip.Payload, out var udp) == WireStatus.Ok && udp.DestinationPort == DhcpMessage.ServerPort;

    private static ArpMessage? Arp(byte[] frame) =>
        EthernetFrame.TryParse(frame, out var ethernet) == WireStatus.Ok && ethernet.EtherType == EtherType.Arp
        && ArpPacket.TryParse(ethernet.Payload, out var arp) == WireStatus.Ok ? arp.ToMessage() : null;
}
