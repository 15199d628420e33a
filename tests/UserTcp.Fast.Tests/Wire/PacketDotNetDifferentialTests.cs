using System.Net;
using System.Net.NetworkInformation;
using PacketDotNet;
using PacketDotNet.Tcp;
using PacketDotNet.Utils;
using UserTcp.Fast.Wire;
using ArpOperation = UserTcp.Fast.Wire.ArpOperation;
using PdnArpOperation = PacketDotNet.ArpOperation;
using PdnArpPacket = PacketDotNet.ArpPacket;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>
/// PacketDotNet as an independent oracle, on seeded random packets: what it builds (with its own checksums) parses in
/// ours to the same fields, and what <see cref="FrameWriter"/> composes parses in PacketDotNet to the same fields with
/// valid IPv4, TCP, UDP and ICMP checksums.
/// </summary>
public class PacketDotNetDifferentialTests
{
    private const int Cases = 300;

    // ---- PacketDotNet builds, we parse ----

    [Fact]
    public void Tcp_BuiltByPacketDotNet_ParsesToTheSameFields() => Seeded.ForEach(10_000, Cases, random =>
    {
        var (optionBytes, expectedOptions, unknownOptions) = RandomOptionLayout(random);
        var header = new byte[TcpSegment.MinHeaderLength + optionBytes.Length];
        header[12] = (byte)(header.Length / 4 << 4); // PacketDotNet sizes the header by the data offset it finds
        var tcp = new TcpPacket(new ByteArraySegment(header))
        {
            SourcePort = random.NextUInt16(),
            DestinationPort = random.NextUInt16(),
            SequenceNumber = random.NextUInt32(),
            AcknowledgmentNumber = random.NextUInt32(),
            Flags = (ushort)random.NextTcpFlags(),
            WindowSize = random.NextUInt16(),
            UrgentPointer = random.NextUInt16(),
            Options = optionBytes,
            PayloadData = random.NextBytes(random.Next(64)),
        };
        var (ethernet, ip) = Wrap(random, tcp);
        tcp.UpdateTcpChecksum();
        ip.UpdateIPChecksum();

        var parsed = ParsedFrame.Parse(ethernet.Bytes);

        Assert.Equal((Layer.Tcp, WireStatus.Ok), (parsed.Layer, parsed.Status));
        AssertParsedLike(ethernet, ip, parsed);
        var ours = parsed.Tcp!;
        Assert.Equal(tcp.SourcePort, ours.Header.SourcePort);
        Assert.Equal(tcp.DestinationPort, ours.Header.DestinationPort);
        Assert.Equal(tcp.SequenceNumber, ours.Header.SequenceNumber);
        Assert.Equal(tcp.AcknowledgmentNumber, ours.Header.AcknowledgmentNumber);
        Assert.Equal(tcp.Flags, (ushort)ours.Header.Flags);
        Assert.Equal(tcp.WindowSize, ours.Header.Window);
        Assert.Equal((ushort)tcp.UrgentPointer, ours.Header.UrgentPointer);
        Assert.Equal(tcp.DataOffset * 4, ours.HeaderLength);
        Assert.Equal(tcp.Checksum, ours.Checksum);
        Assert.Equal(ChecksumVerdict.Valid, ours.Verdict);
        Assert.Equal(tcp.PayloadData, parsed.Payload);
        WireAssert.Equal(expectedOptions, ours.Header.Options.WithoutUnknownCount());
        Assert.Equal(unknownOptions, ours.Header.Options.UnknownCount);
        if (!tcp.Urgent) AssertSameOptions(tcp.OptionsCollection, ours.Header.Options); // PacketDotNet 1.4.8 throws reading options beside URG
    });

    [Fact]
    public void Udp_BuiltByPacketDotNet_ParsesToTheSameFields() => Seeded.ForEach(20_000, Cases, random =>
    {
        var udp = new UdpPacket(NextPlainPort(random), NextPlainPort(random)) { PayloadData = random.NextBytes(random.Next(100)) };
        var (ethernet, ip) = Wrap(random, udp);
        udp.UpdateUdpChecksum();
        ip.UpdateIPChecksum();

        var parsed = ParsedFrame.Parse(ethernet.Bytes);

        Assert.Equal((Layer.Udp, WireStatus.Ok), (parsed.Layer, parsed.Status));
        AssertParsedLike(ethernet, ip, parsed);
        Assert.Equal(new UdpHeader(udp.SourcePort, udp.DestinationPort), parsed.Udp!.Header);
        Assert.Equal(udp.Length, parsed.Udp.Length);
        Assert.Equal(udp.Checksum, parsed.Udp.Checksum);
        Assert.Equal(udp.Checksum == 0 ? ChecksumVerdict.Absent : ChecksumVerdict.Valid, parsed.Udp.Verdict);
        Assert.Equal(udp.PayloadData, parsed.Payload);
    });

    private static readonly IcmpV4TypeCode[] IcmpTypeCodes = Enum.GetValues<IcmpV4TypeCode>();

    [Fact]
    public void Icmp_BuiltByPacketDotNet_ParsesToTheSameFields() => Seeded.ForEach(30_000, Cases, random =>
    {
        byte[] data = random.NextBytes(random.Next(100));
        var icmp = new IcmpV4Packet(new ByteArraySegment(new byte[IcmpPacket.HeaderLength + data.Length]))
        {
            TypeCode = random.Next(4) switch
            {
                0 => IcmpV4TypeCode.EchoRequest,
                1 => IcmpV4TypeCode.EchoReply,
                _ => IcmpTypeCodes[random.Next(IcmpTypeCodes.Length)],
            },
            Id = random.NextUInt16(),
            Sequence = random.NextUInt16(),
            Data = data,
        };
        icmp.UpdateIcmpChecksum();
        var (ethernet, ip) = Wrap(random, icmp);
        ip.Protocol = PacketDotNet.ProtocolType.Icmp;
        ip.UpdateIPChecksum();

        var parsed = ParsedFrame.Parse(ethernet.Bytes);

        Assert.Equal((Layer.Icmp, WireStatus.Ok), (parsed.Layer, parsed.Status));
        AssertParsedLike(ethernet, ip, parsed);
        var ours = parsed.Icmp!;
        Assert.Equal((int)icmp.TypeCode, (int)ours.Type << 8 | ours.Code);
        Assert.Equal(icmp.Checksum, ours.Checksum);
        Assert.Equal(icmp.Id, ours.Identifier);
        Assert.Equal(icmp.Sequence, ours.SequenceNumber);
        Assert.Equal(icmp.TypeCode is IcmpV4TypeCode.EchoRequest or IcmpV4TypeCode.EchoReply, ours.IsEcho);
        Assert.Equal(data, parsed.Payload);
    });

    [Fact]
    public void Arp_BuiltByPacketDotNet_ParsesToTheSameFields() => Seeded.ForEach(40_000, Cases, random =>
    {
        var arp = new PdnArpPacket(random.NextBool() ? PdnArpOperation.Request : PdnArpOperation.Response,
                                   ToPhysical(random.NextMac()), ToIPAddress(random.NextIpv4()), ToPhysical(random.NextMac()), ToIPAddress(random.NextIpv4()));
        var ethernet = new EthernetPacket(ToPhysical(random.NextMac()), ToPhysical(random.NextMac()), EthernetType.Arp) { PayloadPacket = arp };

        var parsed = ParsedFrame.Parse(ethernet.Bytes);

        Assert.Equal((Layer.Arp, WireStatus.Ok), (parsed.Layer, parsed.Status));
        Assert.Equal(HeaderOf(ethernet), parsed.Ethernet!.Header);
        Assert.Equal(MessageOf(arp), parsed.Arp);
    });

    [Fact]
    public void Ipv4WithOptions_BuiltByPacketDotNet_ParsesToTheSameFields() => Seeded.ForEach(50_000, Cases, random =>
    {
        // PacketDotNet has no setter for IPv4 options: it takes the IHL from the bytes it is given, and we set the rest through it.
        byte[] options = random.NextBytes(4 * random.Next(11));
        byte[] payload = random.NextBytes(random.Next(50));
        var bytes = new byte[Ipv4Packet.MinHeaderLength + options.Length + payload.Length];
        bytes[0] = (byte)(0x40 | (Ipv4Packet.MinHeaderLength + options.Length) / 4);
        options.CopyTo(bytes, Ipv4Packet.MinHeaderLength);
        payload.CopyTo(bytes, Ipv4Packet.MinHeaderLength + options.Length);
        var ip = new IPv4Packet(new ByteArraySegment(bytes))
        {
            TotalLength = bytes.Length,
            TypeOfService = random.NextByte(),
            Id = random.NextUInt16(),
            FragmentFlags = random.Next(8),
            FragmentOffset = random.Next(0x2000),
            TimeToLive = random.NextByte(),
            Protocol = (PacketDotNet.ProtocolType)random.NextByte(),
            SourceAddress = ToIPAddress(random.NextIpv4()),
            DestinationAddress = ToIPAddress(random.NextIpv4()),
        };
        ip.UpdateIPChecksum();

        Assert.Equal(WireStatus.Ok, Ipv4Packet.TryParse(bytes, out var ours));
        AssertSame(ip, ours.ToHeader());
        Assert.Equal(ip.HeaderLength * 4, ours.HeaderLength);
        Assert.Equal(ip.TotalLength, ours.TotalLength);
        Assert.Equal(ip.Checksum, ours.HeaderChecksum);
        Assert.Equal(options, ours.Options.ToArray());
        Assert.Equal(payload, ours.Payload.ToArray());
    });

    // ---- We compose, PacketDotNet parses ----

    [Fact]
    public void Tcp_ComposedByFrameWriter_ParsesInPacketDotNetWithValidChecksums() => Seeded.ForEach(60_000, Cases, random =>
    {
        var header = random.NextTcpHeader();
        if (header.Options.Length > 0) header = header with { Flags = header.Flags & ~TcpFlags.Urg }; // PacketDotNet and URG, as above
        var ethernet = RandomEthernet(random, EtherType.Ipv4);
        var ip = random.NextIpv4Header(IpProtocol.Tcp);
        byte[] payload = random.NextBytes(random.Next(64));
        byte[] frame = Written(buffer => FrameWriter.WriteTcp(buffer, ethernet, ip, header, payload));

        var tcp = Assert.IsType<TcpPacket>(ParseIpv4InPacketDotNet(frame, ethernet, ip).PayloadPacket);

        Assert.True(tcp.ValidTcpChecksum, "TCP checksum rejected by PacketDotNet");
        Assert.Equal(header.SourcePort, tcp.SourcePort);
        Assert.Equal(header.DestinationPort, tcp.DestinationPort);
        Assert.Equal(header.SequenceNumber, tcp.SequenceNumber);
        Assert.Equal(header.AcknowledgmentNumber, tcp.AcknowledgmentNumber);
        Assert.Equal((ushort)header.Flags, tcp.Flags);
        Assert.Equal(header.Window, tcp.WindowSize);
        Assert.Equal(header.UrgentPointer, (ushort)tcp.UrgentPointer);
        Assert.Equal(header.Length, tcp.DataOffset * 4);
        Assert.Equal(payload, tcp.PayloadData);
        if (header.Options.Length > 0) AssertSameOptions(tcp.OptionsCollection, header.Options.AsEmitted());
    });

    [Fact]
    public void Udp_ComposedByFrameWriter_ParsesInPacketDotNetWithValidChecksums() => Seeded.ForEach(70_000, Cases, random =>
    {
        var header = new UdpHeader(NextPlainPort(random), NextPlainPort(random));
        var ethernet = RandomEthernet(random, EtherType.Ipv4);
        var ip = random.NextIpv4Header(IpProtocol.Udp);
        byte[] payload = random.NextBytes(random.Next(100));
        byte[] frame = Written(buffer => FrameWriter.WriteUdp(buffer, ethernet, ip, header, payload));

        var udp = Assert.IsType<UdpPacket>(ParseIpv4InPacketDotNet(frame, ethernet, ip).PayloadPacket);

        Assert.True(udp.ValidUdpChecksum, "UDP checksum rejected by PacketDotNet");
        Assert.NotEqual(0, udp.Checksum);
        Assert.Equal((header.SourcePort, header.DestinationPort), (udp.SourcePort, udp.DestinationPort));
        Assert.Equal(UdpDatagram.HeaderLength + payload.Length, udp.Length);
        Assert.Equal(payload, udp.PayloadData);
    });

    [Fact]
    public void Icmp_ComposedByFrameWriter_ParsesInPacketDotNetWithValidChecksums() => Seeded.ForEach(80_000, Cases, random =>
    {
        var echo = new IcmpEchoHeader(random.NextBool() ? IcmpType.EchoRequest : IcmpType.EchoReply, random.NextUInt16(), random.NextUInt16());
        var ethernet = RandomEthernet(random, EtherType.Ipv4);
        var ip = random.NextIpv4Header(IpProtocol.Icmp);
        byte[] data = random.NextBytes(random.Next(100));
        byte[] frame = Written(buffer => FrameWriter.WriteIcmpEcho(buffer, ethernet, ip, echo, data));

        var icmp = Assert.IsType<IcmpV4Packet>(ParseIpv4InPacketDotNet(frame, ethernet, ip).PayloadPacket);

        Assert.True(icmp.ValidIcmpChecksum, "ICMP checksum rejected by PacketDotNet");
        Assert.Equal(echo.Type == IcmpType.EchoRequest ? IcmpV4TypeCode.EchoRequest : IcmpV4TypeCode.EchoReply, icmp.TypeCode);
        Assert.Equal((echo.Identifier, echo.SequenceNumber), (icmp.Id, icmp.Sequence));
        Assert.Equal(data, icmp.Data);
    });

    [Fact]
    public void Arp_ComposedByFrameWriter_ParsesInPacketDotNet() => Seeded.ForEach(90_000, Cases, random =>
    {
        var message = new ArpMessage(random.NextBool() ? ArpOperation.Request : ArpOperation.Reply,
                                     random.NextMac(), random.NextIpv4(), random.NextMac(), random.NextIpv4());
        var ethernet = RandomEthernet(random, EtherType.Arp);
        byte[] frame = Written(buffer => FrameWriter.WriteArp(buffer, ethernet, message));

        var arp = Assert.IsType<PdnArpPacket>(ParseEthernetInPacketDotNet(frame, ethernet));

        Assert.Equal((LinkLayers.Ethernet, EthernetType.IPv4, 6, 4),
                     (arp.HardwareAddressType, arp.ProtocolAddressType, arp.HardwareAddressLength, arp.ProtocolAddressLength));
        Assert.Equal(message, MessageOf(arp));
    });

    [Fact]
    public void Ipv4WithOptionsAndFragmentFields_Emitted_ParsesInPacketDotNetWithValidChecksum() => Seeded.ForEach(100_000, Cases, random =>
    {
        var header = random.NextIpv4Header((IpProtocol)random.NextByte(), fragment: true);
        byte[] options = random.NextBytes(4 * random.Next(11));
        int payloadLength = random.Next(50);
        var packet = new byte[Ipv4Packet.MinHeaderLength + options.Length + payloadLength];
        header.Emit(packet, payloadLength, options);

        var ip = new IPv4Packet(new ByteArraySegment(packet));

        Assert.True(ip.ValidIPChecksum, "IPv4 header checksum rejected by PacketDotNet");
        AssertSame(ip, header);
        Assert.Equal((packet.Length, packet.Length - payloadLength), (ip.TotalLength, ip.HeaderLength * 4));
    });

    /// <summary>The RFC 768 rule: a checksum that computes to zero goes out as 0xFFFF, which PacketDotNet accepts.</summary>
    [Fact]
    public void Udp_ComputedZeroChecksumSentAsAllOnes_IsValidInPacketDotNet()
    {
        const int checksumOffset = EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + 6;
        var ethernet = TestFrames.Ethernet(EtherType.Ipv4);
        var ip = TestFrames.Ip(IpProtocol.Udp);
        var header = new UdpHeader(40000, 40001);
        var payload = new byte[4];
        Written(buffer => FrameWriter.WriteUdp(buffer, ethernet, ip, header, payload)).AsSpan(checksumOffset, 2).CopyTo(payload.AsSpan(2));
        // With its own checksum as the last payload word the datagram sums to 0xFFFF: the checksum computes to zero.
        byte[] frame = Written(buffer => FrameWriter.WriteUdp(buffer, ethernet, ip, header, payload));
        Assert.Equal("FFFF", Convert.ToHexString(frame, checksumOffset, 2));

        var udp = Assert.IsType<UdpPacket>(ParseIpv4InPacketDotNet(frame, ethernet, ip).PayloadPacket);
        Assert.True(udp.ValidUdpChecksum);
    }

    // ---- Helpers ----

    private static byte[] Written(EmitAction write)
    {
        var buffer = new byte[TestFrames.MaxFrameLength];
        return buffer[..write(buffer)];
    }

    /// <summary>Wraps a transport packet in random IPv4 and Ethernet headers built by PacketDotNet, lengths updated
    /// (the caller then updates the checksums, innermost first).</summary>
    private static (EthernetPacket Ethernet, IPv4Packet Ip) Wrap(Random random, Packet transport)
    {
        var ip = new IPv4Packet(ToIPAddress(random.NextIpv4()), ToIPAddress(random.NextIpv4()))
        {
            TimeToLive = random.NextByte(),
            Id = random.NextUInt16(),
            TypeOfService = random.NextByte(),
            FragmentFlags = random.NextBool() ? DontFragmentFlag : 0,
            PayloadPacket = transport,
        };
        var ethernet = new EthernetPacket(ToPhysical(random.NextMac()), ToPhysical(random.NextMac()), EthernetType.IPv4) { PayloadPacket = ip };
        transport.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        return (ethernet, ip);
    }

    /// <summary>PacketDotNet's 3-bit flags field: reserved, DF, MF.</summary>
    private const int DontFragmentFlag = 0b010, MoreFragmentsFlag = 0b001;

    private static EthernetHeader RandomEthernet(Random random, EtherType type) =>
        new(random.NextMac(), random.NextMac(), type, random.Next(3) == 0 ? (ushort)random.Next(0x1000) : null);

    /// <summary>Ports PacketDotNet does not decode as another protocol (wake-on-LAN 0/7/9, DHCP 67/68, L2TP 1701, Teredo 3544).</summary>
    private static ushort NextPlainPort(Random random) => (ushort)random.Next(10_000, 0x10000);

    private static void AssertParsedLike(EthernetPacket ethernet, IPv4Packet ip, ParsedFrame parsed)
    {
        Assert.Equal(HeaderOf(ethernet), parsed.Ethernet!.Header);
        AssertSame(ip, parsed.Ipv4!.Header);
        Assert.Equal(ip.HeaderLength * 4, parsed.Ipv4.HeaderLength);
        Assert.Equal(ip.TotalLength, parsed.Ipv4.TotalLength);
        Assert.Equal(ip.Checksum, parsed.Ipv4.Checksum);
    }

    private static void AssertSame(IPv4Packet expected, in Ipv4Header actual)
    {
        Assert.Equal(IPVersion.IPv4, expected.Version);
        Assert.Equal(FromIPAddress(expected.SourceAddress), actual.Source);
        Assert.Equal(FromIPAddress(expected.DestinationAddress), actual.Destination);
        Assert.Equal((byte)expected.Protocol, (byte)actual.Protocol);
        Assert.Equal(expected.TimeToLive, actual.TimeToLive);
        Assert.Equal(expected.Id, actual.Identification);
        Assert.Equal(expected.TypeOfService, actual.TypeOfService);
        Assert.Equal((expected.FragmentFlags & DontFragmentFlag) != 0, actual.DontFragment);
        Assert.Equal((expected.FragmentFlags & MoreFragmentsFlag) != 0, actual.MoreFragments);
        Assert.Equal(expected.FragmentOffset * 8, actual.FragmentOffset);
    }

    /// <summary>Parses <paramref name="frame"/> in PacketDotNet, checks the Ethernet header (and VLAN tag) against
    /// <paramref name="expected"/>, and returns the packet it carries.</summary>
    private static Packet ParseEthernetInPacketDotNet(byte[] frame, in EthernetHeader expected)
    {
        var ethernet = Assert.IsType<EthernetPacket>(Packet.ParsePacket(LinkLayers.Ethernet, frame));
        Assert.Equal(expected.Destination, FromPhysical(ethernet.DestinationHardwareAddress));
        Assert.Equal(expected.Source, FromPhysical(ethernet.SourceHardwareAddress));
        if (expected.VlanId is null)
        {
            Assert.Equal((ushort)expected.EtherType, (ushort)ethernet.Type);
            return ethernet.PayloadPacket;
        }
        Assert.Equal(EthernetType.VLanTaggedFrame, ethernet.Type);
        var tag = Assert.IsType<Ieee8021QPacket>(ethernet.PayloadPacket);
        Assert.Equal(expected.VlanId, tag.VlanIdentifier);
        Assert.Equal((ushort)expected.EtherType, (ushort)tag.Type);
        return tag.PayloadPacket;
    }

    private static IPv4Packet ParseIpv4InPacketDotNet(byte[] frame, in EthernetHeader ethernet, in Ipv4Header expected)
    {
        var ip = Assert.IsType<IPv4Packet>(ParseEthernetInPacketDotNet(frame, ethernet));
        Assert.True(ip.ValidIPChecksum, "IPv4 header checksum rejected by PacketDotNet");
        AssertSame(ip, expected);
        return ip;
    }

    /// <summary>Our options against PacketDotNet's reading of the same bytes.</summary>
    private static void AssertSameOptions(List<TcpOption>? pdnOptions, in TcpOptions ours)
    {
        var options = pdnOptions ?? [];
        Assert.Equal(ours.MaximumSegmentSize, options.OfType<MaximumSegmentSizeOption>().Select(o => (ushort?)o.Value).SingleOrDefault());
        Assert.Equal(ours.WindowScale, options.OfType<WindowScaleFactorOption>().Select(o => (byte?)o.ScaleFactor).SingleOrDefault());
        Assert.Equal(ours.SackPermitted, options.OfType<SelectiveAcknowledgmentPermittedOption>().Any());
        Assert.Equal(ours.Timestamps, options.OfType<TimeStampOption>().Select(o => (TcpTimestamps?)new TcpTimestamps(o.Value, o.EchoReply)).SingleOrDefault());
        // PacketDotNet 1.4.8 reads SACK edges as 16-bit halves: join them back into 32-bit sequence numbers.
        var halves = options.OfType<SelectiveAcknowledgmentOption>().SingleOrDefault()?.Blocks ?? [];
        Assert.Equal(ours.SackBlocks(), halves.Chunk(4).Select(h => new SackBlock((uint)h[0] << 16 | h[1], (uint)h[2] << 16 | h[3])));
        Assert.Equal(ours.UnknownCount, options.Count(o => o.Kind is not (OptionTypes.EndOfOptionList or OptionTypes.NoOperation
            or OptionTypes.MaximumSegmentSize or OptionTypes.WindowScaleFactor or OptionTypes.SelectiveAcknowledgmentPermitted
            or OptionTypes.SelectiveAcknowledgment or OptionTypes.Timestamp)));
    }

    private static readonly byte[] UnknownOptionKinds = [30, 34, 78, 253, 254]; // MPTCP, TFO, unassigned, experimental

    /// <summary>
    /// TCP option bytes laid out unlike our emitter does: the known kinds in random order, random NOPs before each, unknown
    /// kinds mixed in, padded by NOPs or by an end-of-list and zeros, within 40 bytes. Returns the bytes, the known options
    /// they hold, and how many unknown options they hold.
    /// </summary>
    private static (byte[] Bytes, TcpOptions Known, int Unknown) RandomOptionLayout(Random random)
    {
        var candidates = new List<(byte[] Bytes, Func<TcpOptions, TcpOptions> Apply)>();
        ushort mss = random.NextUInt16();
        byte shift = random.NextByte();
        var timestamps = new TcpTimestamps(random.NextUInt32(), random.NextUInt32());
        var blocks = Enumerable.Range(0, random.Next(TcpOptions.MaxSackBlocks + 1))
                               .Select(_ => new SackBlock(random.NextUInt32(), random.NextUInt32())).ToArray();
        if (random.NextBool()) candidates.Add(([2, 4, .. BigEndian(mss)], o => o with { MaximumSegmentSize = mss }));
        if (random.NextBool()) candidates.Add(([3, 3, shift], o => o with { WindowScale = shift }));
        if (random.NextBool()) candidates.Add(([4, 2], o => o with { SackPermitted = true }));
        if (random.NextBool()) candidates.Add(([8, 10, .. BigEndian(timestamps.Value), .. BigEndian(timestamps.EchoReply)], o => o with { Timestamps = timestamps }));
        if (blocks.Length > 0)
            candidates.Add(([5, (byte)(2 + 8 * blocks.Length), .. blocks.SelectMany(b => BigEndian(b.Left).Concat(BigEndian(b.Right)))],
                            o => o.WithSackBlocks(blocks)));
        for (int unknown = random.Next(3); unknown > 0; unknown--)
        {
            int length = random.Next(2, 11);
            candidates.Add(([UnknownOptionKinds[random.Next(UnknownOptionKinds.Length)], (byte)length, .. random.NextBytes(length - 2)], o => o));
        }

        var bytes = new List<byte>();
        var known = new TcpOptions();
        int unknownCount = 0;
        foreach (var (option, apply) in candidates.OrderBy(_ => random.Next()))
        {
            int nops = random.Next(3);
            if (bytes.Count + nops + option.Length > TcpOptions.MaxLength) continue;
            bytes.AddRange(Enumerable.Repeat((byte)1, nops));
            bytes.AddRange(option);
            known = apply(known);
            if (UnknownOptionKinds.Contains(option[0])) unknownCount++;
        }
        byte padding = random.NextBool() ? (byte)1 : (byte)0;
        while (bytes.Count % 4 != 0) bytes.Add(padding);
        return (bytes.ToArray(), known, unknownCount);
    }

    private static byte[] BigEndian(ushort value) => [(byte)(value >> 8), (byte)value];
    private static byte[] BigEndian(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    private static EthernetHeader HeaderOf(EthernetPacket ethernet) =>
        new(FromPhysical(ethernet.DestinationHardwareAddress), FromPhysical(ethernet.SourceHardwareAddress), (EtherType)ethernet.Type);

    private static ArpMessage MessageOf(PdnArpPacket arp) =>
        new((ArpOperation)arp.Operation, FromPhysical(arp.SenderHardwareAddress), FromIPAddress(arp.SenderProtocolAddress),
            FromPhysical(arp.TargetHardwareAddress), FromIPAddress(arp.TargetProtocolAddress));

    private static PhysicalAddress ToPhysical(MacAddress address)
    {
        var bytes = new byte[MacAddress.Length];
        address.Write(bytes);
        return new PhysicalAddress(bytes);
    }

    private static MacAddress FromPhysical(PhysicalAddress address) => MacAddress.Read(address.GetAddressBytes());

    private static IPAddress ToIPAddress(Ipv4Address address)
    {
        var bytes = new byte[Ipv4Address.Length];
        address.Write(bytes);
        return new IPAddress(bytes);
    }

    private static Ipv4Address FromIPAddress(IPAddress address) => Ipv4Address.Read(address.GetAddressBytes());
}
