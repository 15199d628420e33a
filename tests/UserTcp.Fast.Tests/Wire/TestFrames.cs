using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>
/// Standard frames for wire tests, on one address plan (a Linux guest 10.0.2.15 behind the 10.0.2.2 gateway):
/// literal frames, and builders that compose frames with <see cref="FrameWriter"/>. Every member returns a fresh
/// array, so callers may mutate what they get.
/// </summary>
/// <remarks>The literals are byte for byte what Linux sends in these cases (SYN option layout, ping payload, DNS query,
/// IGMP report with router alert), assembled by hand rather than captured. They were written out as pcap and decoded
/// with <c>tcpdump -nn -vvv -e</c>, which reported every IP header, TCP and UDP checksum correct and decoded each field
/// as commented.</remarks>
internal static class TestFrames
{
    /// <summary>Large enough for any frame the builders make (Ethernet + VLAN + IPv4 + TCP with 40 option bytes + payload).</summary>
    public const int MaxFrameLength = 2048;

    public static readonly MacAddress HostMac = new(0x0800_278E_3C1B);
    public static readonly MacAddress GatewayMac = new(0x5254_0012_3502);
    public static readonly Ipv4Address HostIp = new(10, 0, 2, 15);
    public static readonly Ipv4Address GatewayIp = new(10, 0, 2, 2);
    public static readonly Ipv4Address DnsIp = new(10, 0, 2, 3);
    public static readonly Ipv4Address ServerIp = new(93, 184, 216, 34);

    /// <summary>10.0.2.15.47330 &gt; 93.184.216.34.80: Flags [S], seq 997137105, win 64240,
    /// options [mss 1460,sackOK,TS val 1780235871 ecr 0,nop,wscale 7]; IP id 7238, DF, ttl 64.</summary>
    public static byte[] LinuxSyn => Hex("""
        52 54 00 12 35 02 08 00 27 8e 3c 1b 08 00 45 00
        00 3c 1c 46 40 00 40 06 dc 8c 0a 00 02 0f 5d b8
        d8 22 b8 e2 00 50 3b 6f 1a d1 00 00 00 00 a0 02
        fa f0 53 37 00 00 02 04 05 b4 04 02 08 0a 6a 1c
        3e 5f 00 00 00 00 01 03 03 07
        """);

    /// <summary>ARP, Request who-has 10.0.2.2 tell 10.0.2.15 (broadcast, 42 bytes: not yet padded, as the sender hands it to the NIC).</summary>
    public static byte[] ArpRequest => Hex("""
        ff ff ff ff ff ff 08 00 27 8e 3c 1b 08 06 00 01
        08 00 06 04 00 01 08 00 27 8e 3c 1b 0a 00 02 0f
        00 00 00 00 00 00 0a 00 02 02
        """);

    /// <summary>10.0.2.15 &gt; 10.0.2.2: ICMP echo request, id 3151, seq 1, length 64 (Linux ping: timeval, then 0x10..0x37);
    /// IP id 42419, DF, ttl 64.</summary>
    public static byte[] IcmpEchoRequest => Hex("""
        52 54 00 12 35 02 08 00 27 8e 3c 1b 08 00 45 00
        00 54 a5 b3 40 00 40 01 7c e5 0a 00 02 0f 0a 00
        02 02 08 00 7d d0 0c 4f 00 01 a1 b2 c3 65 00 00
        00 00 3f f4 0a 00 00 00 00 00 10 11 12 13 14 15
        16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25
        26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
        36 37
        """);

    /// <summary>10.0.2.15.53412 &gt; 10.0.2.3.53: [udp sum ok] 6699+ A? example.com. (29); IP id 15453, no DF, ttl 64.</summary>
    public static byte[] DnsQuery => Hex("""
        52 54 00 12 35 02 08 00 27 8e 3c 1b 08 00 45 00
        00 39 3c 5d 00 00 40 11 26 46 0a 00 02 0f 0a 00
        02 03 d0 a4 00 35 00 25 2d 20 1a 2b 01 00 00 01
        00 00 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63
        6f 6d 00 00 01 00 01
        """);

    /// <summary>vlan 100, p 0: 10.0.2.15.47330 &gt; 93.184.216.34.80: Flags [P.], seq 997137106:997137112, ack 2634826151,
    /// win 502, options [nop,nop,TS val 1780236033 ecr 2340299280], length 6 ("hello\n"); IP id 7239, DF, ttl 64.</summary>
    public static byte[] VlanTcpAck => Hex("""
        52 54 00 12 35 02 08 00 27 8e 3c 1b 81 00 00 64
        08 00 45 00 00 3a 1c 47 40 00 40 06 dc 8d 0a 00
        02 0f 5d b8 d8 22 b8 e2 00 50 3b 6f 1a d2 9d 0c
        41 a7 80 18 01 f6 aa 1f 00 00 01 01 08 0a 6a 1c
        3f 01 8b 7e 22 10 68 65 6c 6c 6f 0a
        """);

    /// <summary>10.0.2.15 &gt; 224.0.0.251: igmp v2 report, to 01:00:5e:00:00:fb; IP tos 0xc0, ttl 1, DF,
    /// options (RA): a header with IHL 6.</summary>
    public static byte[] IgmpReportRouterAlert => Hex("""
        01 00 5e 00 00 fb 08 00 27 8e 3c 1b 08 00 46 c0
        00 20 00 00 40 00 01 02 f7 0d 0a 00 02 0f e0 00
        00 fb 94 04 00 00 16 00 09 04 e0 00 00 fb
        """);

    /// <summary>Ethernet's minimum frame length without FCS: shorter frames arrive padded with zeros.</summary>
    public const int MinimumFrameLength = 60;

    /// <summary>
    /// Names of valid frames of every kind the parsers accept, for theories: the literals plus composed frames that reach
    /// the remaining paths (every TCP option with SACK blocks, an RST, UDP without checksum, an echo reply with odd-length
    /// data, an ARP reply, VLAN-tagged UDP, and a short frame carrying Ethernet padding).
    /// </summary>
    public static TheoryData<string> ValidNames => [.. ValidFrameNames];

    public static IEnumerable<string> ValidFrameNames => Catalog.Keys;

    /// <summary>A fresh copy of the valid frame called <paramref name="name"/> (a literal or a composed one).</summary>
    public static byte[] Valid(string name) =>
        Catalog.TryGetValue(name, out var build) ? build() : throw new ArgumentOutOfRangeException(nameof(name), name, "No such frame.");

    private static readonly Dictionary<string, Func<byte[]>> Catalog = new()
    {
        [nameof(LinuxSyn)] = () => LinuxSyn,
        [nameof(ArpRequest)] = () => ArpRequest,
        [nameof(IcmpEchoRequest)] = () => IcmpEchoRequest,
        [nameof(DnsQuery)] = () => DnsQuery,
        [nameof(VlanTcpAck)] = () => VlanTcpAck,
        [nameof(IgmpReportRouterAlert)] = () => IgmpReportRouterAlert,
        ["TcpEveryOption"] = () =>
        {
            var options = new TcpOptions { MaximumSegmentSize = 8960, WindowScale = 14, SackPermitted = true, Timestamps = new(1, 2) };
            options.AddSackBlock(new SackBlock(1000, 2000));
            options.AddSackBlock(new SackBlock(3000, 4000));
            return Tcp(new TcpHeader(40000, 443, 7, 9, TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, 65535) { Options = options }, [1, 2, 3]);
        },
        ["TcpRst"] = () => Tcp(new TcpHeader(80, 40000, 0xFFFF_FFFF, 0, TcpFlags.Rst, 0)),
        ["UdpNoChecksum"] = () => UdpWithoutChecksum(new UdpHeader(5353, 5353), [0xAB, 0xCD, 0xEF]),
        ["IcmpEchoReplyOddData"] = () => IcmpEcho(new IcmpEchoHeader(IcmpType.EchoReply, 0xBEEF, 0xFFFF), [1, 2, 3, 4, 5]),
        ["ArpReply"] = () => Arp(new ArpMessage(ArpOperation.Reply, GatewayMac, GatewayIp, HostMac, HostIp)),
        ["VlanUdp"] = () => Udp(new UdpHeader(12345, 53), [9, 8, 7], vlanId: 4095),
        ["PaddedTcpAck"] = () => Padded(Tcp(new TcpHeader(47330, 80, 100, 200, TcpFlags.Ack, 502)), MinimumFrameLength),
    };

    public static EthernetHeader Ethernet(EtherType type, ushort? vlanId = null) => new(GatewayMac, HostMac, type, vlanId);

    public static Ipv4Header Ip(IpProtocol protocol) => new(HostIp, ServerIp, protocol, Identification: 0x1c46);

    public static byte[] Tcp(in TcpHeader tcp, ReadOnlySpan<byte> payload = default, ushort? vlanId = null)
    {
        var frame = new byte[MaxFrameLength];
        return frame[..FrameWriter.WriteTcp(frame, Ethernet(EtherType.Ipv4, vlanId), Ip(IpProtocol.Tcp), tcp, payload)];
    }

    public static byte[] Udp(in UdpHeader udp, ReadOnlySpan<byte> payload = default, ushort? vlanId = null)
    {
        var frame = new byte[MaxFrameLength];
        return frame[..FrameWriter.WriteUdp(frame, Ethernet(EtherType.Ipv4, vlanId), Ip(IpProtocol.Udp), udp, payload)];
    }

    /// <summary>A UDP frame whose checksum field is zero (RFC 768: none computed).</summary>
    public static byte[] UdpWithoutChecksum(in UdpHeader udp, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[MaxFrameLength];
        var ethernet = Ethernet(EtherType.Ipv4);
        int udpOffset = ethernet.Emit(frame) + Ipv4Packet.MinHeaderLength;
        var datagram = frame.AsSpan(udpOffset, UdpDatagram.HeaderLength + payload.Length);
        payload.CopyTo(datagram[UdpDatagram.HeaderLength..]);
        udp.Emit(datagram, HostIp, ServerIp, computeChecksum: false);
        Ip(IpProtocol.Udp).Emit(frame.AsSpan(ethernet.Length), datagram.Length);
        return frame[..(udpOffset + datagram.Length)];
    }

    public static byte[] IcmpEcho(in IcmpEchoHeader echo, ReadOnlySpan<byte> data = default)
    {
        var frame = new byte[MaxFrameLength];
        return frame[..FrameWriter.WriteIcmpEcho(frame, Ethernet(EtherType.Ipv4), Ip(IpProtocol.Icmp), echo, data)];
    }

    public static byte[] Arp(in ArpMessage arp)
    {
        var frame = new byte[MaxFrameLength];
        return frame[..FrameWriter.WriteArp(frame, Ethernet(EtherType.Arp), arp)];
    }

    /// <summary>The frame followed by zero padding up to <paramref name="length"/> bytes, as a NIC delivers short frames.</summary>
    public static byte[] Padded(byte[] frame, int length)
    {
        var padded = new byte[Math.Max(length, frame.Length)];
        frame.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>Recomputes the IPv4 header checksum in place after a test changed header bytes (IHL permitting).</summary>
    public static void RefreshIpv4Checksum(Span<byte> packet)
    {
        int headerLength = Math.Min((packet[0] & 0xF) * 4, packet.Length);
        if (headerLength < 12) return;
        packet[10] = 0;
        packet[11] = 0;
        ushort checksum = InternetChecksum.Compute(packet[..headerLength]);
        packet[10] = (byte)(checksum >> 8);
        packet[11] = (byte)checksum;
    }

    /// <summary>Bytes from hex digits; whitespace is ignored.</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));
}
