using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Frames;

namespace UserTcp.Fast.Tests.Interface;

/// <summary>
/// Path MTU discovery (RFC 1191 §3) through the interface: a router's literal ICMP "fragmentation needed" frame lowers the
/// MSS of the connection it quotes, which sends its unacknowledged data again in smaller segments; quotes of no connection or
/// of a sequence number outside the flight are ignored and counted (RFC 5927 §4.1). Also the next hop that never answers ARP.
/// </summary>
public sealed class PathMtuTests
{
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly MacAddress RouterMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly Ipv4Address Ours = new(198, 18, 1, 10), Router = new(198, 18, 1, 1), Server = new(198, 19, 2, 1);
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);
    private const uint ServerIss = 7_000_000;

    private static (uint Seq, int PayloadLength, int FrameLength, byte[] Payload) Segment(byte[] frame)
    {
        Assert.Equal(WireStatus.Ok, EthernetFrame.TryParse(frame, out var ethernet));
        Assert.Equal(WireStatus.Ok, Ipv4Packet.TryParse(ethernet.Payload, out var ip));
        Assert.True(ip.DontFragment);
        Assert.Equal(WireStatus.Ok, TcpSegment.TryParse(ip.Payload, out var tcp));
        return (tcp.SequenceNumber, tcp.Payload.Length, frame.Length, tcp.Payload.ToArray());
    }

    /// <summary>A connection through the router to the server, established with the server's MSS 1460 and no other option.</summary>
    private static (NetworkInterface, FrameRecorder, TcpConnection, uint Iss) Connected()
    {
        var capture = new FrameRecorder();
        var tcp = new TcpStack(new TcpConfig { InitialSendBufferSize = 256 << 10 }, InitialSequenceNumbers.CreateRandom(), 1);
        var nic = new NetworkInterface(new InterfaceConfig { MacAddress = OurMac, Address = Ours, PrefixLength = 24, Gateway = Router }, tcp, capture);
        nic.AddStaticNeighbor(Router, RouterMac);
        var connection = nic.Tcp.Connect(Ours, Server, 80, T0);
        nic.Flush(T0);
        uint iss = Segment(Assert.Single(capture.Take())).Seq;
        var synAck = new byte[14 + 20 + 24];
        FrameWriter.WriteTcp(synAck, new EthernetHeader(OurMac, RouterMac, EtherType.Ipv4), new Ipv4Header(Server, Ours, IpProtocol.Tcp),
            new TcpHeader(80, connection.Tuple.LocalPort, ServerIss, iss + 1, TcpFlags.Syn | TcpFlags.Ack, 65535)
            {
                Options = new TcpOptions { MaximumSegmentSize = 1460 },
            }, default);
        nic.OnFrame(synAck, T0);
        nic.Flush(T0);
        capture.Take(); // the handshake's ACK
        Assert.Equal(TcpState.Established, connection.State);
        Assert.Equal(1460, connection.SendMss);
        return (nic, capture, connection, iss);
    }

    private static byte[] FragmentationNeeded(TcpConnection connection, uint quotedSeq, ushort mtu, ushort? localPort = null) =>
        IcmpUnreachableFrame.Build(RouterMac, Router, OurMac, Ours, code: 4, Server, localPort ?? connection.Tuple.LocalPort, 80, IpProtocol.Tcp,
                                   sequence: quotedSeq, nextHopMtu: mtu);

    private static byte[] Data(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 13 + 5)).ToArray();

    [Fact] // RFC 1191 §3; Linux tcp_v4_mtu_reduced + tcp_simple_retransmit: smaller MSS, the flight again at it, cwnd kept
    public void Fragmentation_needed_lowers_the_mss_and_resends_the_flight_in_smaller_segments()
    {
        var (nic, capture, connection, iss) = Connected();
        var data = Data(10 * 1460);
        Assert.Equal(data.Length, connection.Send(data));
        nic.Flush(T0);
        var first = capture.Take().Select(Segment).ToList();
        Assert.Equal(10, first.Count);
        Assert.All(first, s => Assert.Equal(1514, s.FrameLength));
        int cwnd = connection.CongestionWindow;

        nic.OnFrame(FragmentationNeeded(connection, first[0].Seq, 1400), T0);
        Assert.Equal(1, nic.Tcp.Stats.PathMtuReductions);
        Assert.Equal(1400 - 40, connection.SendMss);
        Assert.Equal(cwnd, connection.CongestionWindow);

        nic.Flush(T0);
        var again = capture.Take().Select(Segment).ToList();
        Assert.NotEmpty(again);
        Assert.All(again, s => Assert.True(s.FrameLength <= 14 + 1400, $"a {s.FrameLength}-byte frame does not fit the path"));
        Assert.Equal(iss + 1, again[0].Seq);
        Assert.Equal(1360, again[0].PayloadLength);
        var resent = again.SelectMany(s => s.Payload).ToArray();
        Assert.Equal(data.AsSpan(0, resent.Length).ToArray(), resent); // the same stream, cut anew

        // A second report of the same MTU (one per dropped segment) changes nothing more.
        nic.OnFrame(FragmentationNeeded(connection, first[1].Seq, 1400), T0);
        Assert.Equal(1, nic.Tcp.Stats.PathMtuReductions);
        nic.Flush(T0);
        Assert.Empty(capture.Take());
    }

    [Fact] // RFC 5927 §4.1: a quote of a sequence number not in flight, or of no connection, is ignored and counted
    public void Fragmentation_needed_outside_the_flight_or_for_no_connection_is_ignored_and_counted()
    {
        var (nic, capture, connection, iss) = Connected();
        connection.Send(Data(3 * 1460));
        nic.Flush(T0);
        capture.Take();

        nic.OnFrame(FragmentationNeeded(connection, iss + 1 + 3 * 1460, 1400), T0); // SND.NXT: nothing sent there yet
        nic.OnFrame(FragmentationNeeded(connection, iss, 1400), T0);                // below SND.UNA: the acknowledged SYN
        nic.OnFrame(FragmentationNeeded(connection, iss + 1_000_000, 1400), T0);    // a blind guess
        Assert.Equal(3, nic.Tcp.Stats.FragmentationNeededOutOfWindow);
        ushort otherPort = (ushort)(connection.Tuple.LocalPort + 1);
        nic.OnFrame(FragmentationNeeded(connection, iss + 1, 1400, otherPort), T0);
        Assert.Equal(1, nic.Tcp.Stats.FragmentationNeededForNoConnection);

        Assert.Equal(0, nic.Tcp.Stats.PathMtuReductions);
        Assert.Equal(1460, connection.SendMss);
        nic.Flush(T0);
        Assert.Empty(capture.Take()); // nothing resent
    }

    [Fact] // Linux ip_rt_min_pmtu: an MTU field of 0 (a router older than RFC 1191) or below 552 counts as 552
    public void Tiny_or_missing_mtu_is_taken_as_the_minimum()
    {
        var (nic, capture, connection, _) = Connected();
        connection.Send(Data(1460));
        nic.Flush(T0);
        var sent = Segment(Assert.Single(capture.Take()));
        nic.OnFrame(FragmentationNeeded(connection, sent.Seq, 0), T0);
        Assert.Equal(TcpConnection.MinimumPathMtu - 40, connection.SendMss);
    }

    [Fact] // a gateway that never answers ARP: the connection through it fails as unreachable, the next hop counted unresolved
    public void A_gateway_that_does_not_answer_arp_fails_the_connection()
    {
        var capture = new FrameRecorder();
        var tcp = new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 1);
        var nic = new NetworkInterface(new InterfaceConfig { MacAddress = OurMac, Address = Ours, PrefixLength = 24, Gateway = Router }, tcp, capture);
        var connection = nic.Tcp.Connect(Ours, Server, 80, T0);
        nic.Flush(T0);
        var now = T0;
        for (int i = 0; i < 4 && connection.State != TcpState.Closed; i++)
        {
            now += nic.Config.ArpRetryInterval;
            nic.OnTimers(now);
            nic.Flush(now);
        }
        Assert.Equal((TcpState.Closed, TcpError.HostUnreachable), (connection.State, connection.Error));
        Assert.Equal(1, nic.Stats.ArpUnresolved);
        var requests = capture.Take();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, frame =>
        {
            Assert.Equal(WireStatus.Ok, EthernetFrame.TryParse(frame, out var ethernet));
            Assert.Equal(WireStatus.Ok, ArpPacket.TryParse(ethernet.Payload, out var arp));
            Assert.Equal(Router, arp.TargetProtocolAddress); // the gateway is asked for, not the server
        });
    }
}
