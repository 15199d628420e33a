using System.Buffers.Binary;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Testbed.Fuzzing;

/// <summary>
/// Seed corpora: frames cut from the recorded Linux downloads (Fixtures/*.pcap, both offload settings) for the parsers,
/// a few built ones for what those captures lack (UDP, ICMP, ARP, VLAN, DNS), and for the engine targets segments a
/// Linux peer would send in each state.
/// </summary>
internal static class SeedCorpus
{
    public const string DnsName = "www.example.com";
    /// <summary>afl-fuzz wants small seeds: no recorded frame above a full-sized Ethernet frame.</summary>
    private const int MaxSeedFrame = 1514;
    private const int MaxRecordedSeeds = 24;
    private static readonly Ipv4Address Peer = EngineHarness.Remote, Local = EngineHarness.Local;

    public static IEnumerable<byte[]> Frames() => RecordedFrames().Concat(BuiltFrames());

    public static IEnumerable<byte[]> Ipv4Packets() =>
        Frames().Select(f => EthernetFrame.TryParse(f, out var e) == WireStatus.Ok && e.EtherType == EtherType.Ipv4 ? e.Payload.ToArray() : null)
                .OfType<byte[]>();

    public static IEnumerable<byte[]> TcpSegments() => Transport(IpProtocol.Tcp);
    public static IEnumerable<byte[]> UdpDatagrams() => Transport(IpProtocol.Udp);
    public static IEnumerable<byte[]> IcmpMessages() => Transport(IpProtocol.Icmp);

    public static IEnumerable<byte[]> TcpOptionLists()
    {
        var lists = TcpSegments().Select(s => s.AsSpan(TcpSegment.MinHeaderLength, ((s[12] >> 4) * 4) - TcpSegment.MinHeaderLength).ToArray())
                                 .Where(o => o.Length > 0).ToList();
        var sack = new TcpOptions { Timestamps = new TcpTimestamps(1, 2) };
        sack.AddSackBlock(new SackBlock(100, 200));
        sack.AddSackBlock(new SackBlock(300, 400));
        sack.AddSackBlock(new SackBlock(500, 600));
        var bytes = new byte[TcpOptions.MaxLength];
        lists.Add(bytes.AsSpan(0, sack.Emit(bytes)).ToArray());
        return Distinct(lists);
    }

    public static IEnumerable<byte[]> ArpPackets() =>
        Frames().Select(f => EthernetFrame.TryParse(f, out var e) == WireStatus.Ok && e.EtherType == EtherType.Arp ? e.Payload.ToArray() : null)
                .OfType<byte[]>();

    public static IEnumerable<byte[]> DnsResponses()
    {
        // An A answer with a compressed owner, a CNAME chain to it, and an NXDOMAIN.
        yield return Response(0x1234, 0, (DnsName, DnsRecordType.A, new byte[] { 198, 18, 0, 53 }));
        yield return Response(0x4321, 0, (DnsName, DnsRecordType.Cname, Name("edge.example.net")),
                              ("edge.example.net", DnsRecordType.A, new byte[] { 198, 18, 0, 54 }));
        yield return Response(0x0001, 3);
    }

    /// <summary>frame: state byte, then a frame the peer could send in that state (data, FIN, RST; SYN, SYN-ACK).</summary>
    public static IEnumerable<byte[]> StateFrames()
    {
        for (int i = 0; i < ConnectionStates.Reachable.Length; i++)
            foreach (var segment in PeerSegments(ConnectionStates.Reachable[i]))
                yield return [(byte)i, .. TcpFrame(segment)];
    }

    /// <summary>segments: state byte, then records; one sequence per state (every peer segment in turn, with a read, a write
    /// and a 20 ms step between them), plus one that delivers the data in reverse (out of order, then the hole fill).</summary>
    public static IEnumerable<byte[]> SegmentSequences()
    {
        for (int i = 0; i < ConnectionStates.Reachable.Length; i++)
        {
            var segments = PeerSegments(ConnectionStates.Reachable[i]);
            yield return Records((byte)i, segments.Select((s, n) => ((byte)((2 << 2) | (n % 3)), s)));
            yield return Records((byte)i, Enumerable.Reverse(segments).Select(s => ((byte)0, s)));
        }
    }

    /// <summary>Segments a Linux peer sends in <paramref name="state"/>, addressed and numbered for the driven connection.</summary>
    private static List<byte[]> PeerSegments(TcpState state)
    {
        var harness = new EngineHarness();
        var at = ConnectionStates.DriveTo(harness, state);
        var result = new List<byte[]>();
        TcpOptions Timestamps() => new() { Timestamps = new TcpTimestamps(++harness.PeerTimestamp, 0) };
        byte[] Segment(uint seq, TcpFlags flags, int payload, TcpOptions options)
        {
            var header = new TcpHeader(at.PeerPort, at.LocalPort, seq, flags.HasFlag(TcpFlags.Ack) ? at.AcknowledgesAll : 0, flags, 65535) { Options = options };
            var bytes = new byte[header.Length + payload];
            for (int i = 0; i < payload; i++) bytes[header.Length + i] = (byte)('a' + i % 26);
            header.Emit(bytes, Peer, Local);
            return bytes;
        }
        if (state is TcpState.Listen or TcpState.SynSent)
        {
            var flags = state == TcpState.Listen ? TcpFlags.Syn : TcpFlags.Syn | TcpFlags.Ack;
            result.Add(Segment(at.PeerNext, flags, 0, new TcpOptions
            {
                MaximumSegmentSize = 1460, SackPermitted = true, WindowScale = 7, Timestamps = new TcpTimestamps(777, 0),
            }));
            result.Add(Segment(at.PeerNext, TcpFlags.Rst | (state == TcpState.SynSent ? TcpFlags.Ack : 0), 0, default));
            return result;
        }
        var ts = state == TcpState.SynReceived ? default : Timestamps();
        result.Add(Segment(at.PeerNext, TcpFlags.Ack | TcpFlags.Psh, 100, ts));
        result.Add(Segment(at.PeerNext + 100, TcpFlags.Ack, 200, state == TcpState.SynReceived ? default : Timestamps()));
        result.Add(Segment(at.PeerNext + 300, TcpFlags.Ack | TcpFlags.Fin, 0, state == TcpState.SynReceived ? default : Timestamps()));
        // A RST at the first byte (exact in a fresh state, a challenge ACK's case after data: RFC 5961 §3.2) and one after the FIN.
        result.Add(Segment(at.PeerNext, TcpFlags.Rst, 0, default));
        result.Add(Segment(at.PeerNext + 301, TcpFlags.Rst, 0, default));
        return result;
    }

    private static byte[] Records(byte state, IEnumerable<(byte Action, byte[] Segment)> records)
    {
        var bytes = new List<byte> { state };
        foreach (var (action, segment) in records)
        {
            bytes.Add(action);
            bytes.Add((byte)(segment.Length >> 8));
            bytes.Add((byte)segment.Length);
            bytes.AddRange(segment);
        }
        return [.. bytes];
    }

    private static byte[] TcpFrame(byte[] segment)
    {
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + segment.Length];
        int ipOffset = new EthernetHeader(EngineTargets.LocalMac, EngineTargets.PeerMac, EtherType.Ipv4).Emit(frame);
        segment.CopyTo(frame, ipOffset + Ipv4Packet.MinHeaderLength);
        new Ipv4Header(Peer, Local, IpProtocol.Tcp).Emit(frame.AsSpan(ipOffset), segment.Length);
        return frame;
    }

    private static IEnumerable<byte[]> Transport(IpProtocol protocol) =>
        Ipv4Packets().Select(p => Ipv4Packet.TryParse(p, out var ip) == WireStatus.Ok && ip.Protocol == protocol ? ip.Payload.ToArray() : null)
                     .OfType<byte[]>();

    /// <summary>Frames of the recorded downloads: every distinct combination of flags and payload size class, up to
    /// <see cref="MaxRecordedSeeds"/>.</summary>
    private static IEnumerable<byte[]> RecordedFrames()
    {
        var seen = new HashSet<(int, int)>();
        var chosen = new List<byte[]>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures"), "*.pcap").Order())
            foreach (var frame in ReadPcap(File.ReadAllBytes(file)))
            {
                if (frame.Length > MaxSeedFrame || chosen.Count >= MaxRecordedSeeds) continue;
                int flags = frame.Length > 47 ? frame[47] : -1;
                int sizeClass = frame.Length < 100 ? 0 : frame.Length < 1000 ? 1 : 2;
                if (seen.Add((flags, sizeClass))) chosen.Add(frame);
            }
        return chosen;
    }

    /// <summary>Classic pcap (little-endian, microseconds, Ethernet): the captured bytes of each record.</summary>
    private static IEnumerable<byte[]> ReadPcap(byte[] file)
    {
        if (file.Length < 24 || BinaryPrimitives.ReadUInt32LittleEndian(file) != 0xA1B2C3D4 || BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(20)) != 1)
            throw new InvalidDataException("expected a little-endian Ethernet pcap");
        for (int offset = 24; offset + 16 <= file.Length;)
        {
            int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(offset + 8));
            offset += 16;
            if (captured > file.Length - offset) yield break;
            yield return file.AsSpan(offset, captured).ToArray();
            offset += captured;
        }
    }

    /// <summary>What the captures lack: UDP (DNS), ICMP echo and unreachable, ARP request and reply, a VLAN-tagged frame.</summary>
    private static IEnumerable<byte[]> BuiltFrames()
    {
        var ethernet = new EthernetHeader(EngineTargets.LocalMac, EngineTargets.PeerMac, EtherType.Ipv4);
        var buffer = new byte[MaxSeedFrame];
        var dns = DnsResponses().First();
        yield return buffer.AsSpan(0, FrameWriter.WriteUdp(buffer, ethernet, new Ipv4Header(Peer, Local, IpProtocol.Udp), new UdpHeader(53, 33000), dns)).ToArray();
        yield return buffer.AsSpan(0, FrameWriter.WriteIcmpEcho(buffer, ethernet, new Ipv4Header(Peer, Local, IpProtocol.Icmp),
            new IcmpEchoHeader(IcmpType.EchoRequest, 7, 1), "ping-data"u8)).ToArray();
        yield return buffer.AsSpan(0, FrameWriter.WriteIcmpEcho(buffer, ethernet, new Ipv4Header(Peer, Local, IpProtocol.Icmp),
            new IcmpEchoHeader(IcmpType.EchoReply, 7, 1), "ping-data"u8)).ToArray();
        yield return Unreachable();
        foreach (var operation in new[] { ArpOperation.Request, ArpOperation.Reply })
        {
            var arpEthernet = new EthernetHeader(MacAddress.Broadcast, EngineTargets.PeerMac, EtherType.Arp);
            int offset = arpEthernet.Emit(buffer);
            int length = new ArpMessage(operation, EngineTargets.PeerMac, Peer, operation == ArpOperation.Reply ? EngineTargets.LocalMac : MacAddress.Zero, Local)
                .Emit(buffer.AsSpan(offset));
            yield return buffer.AsSpan(0, offset + length).ToArray();
        }
        var tagged = ethernet with { VlanId = 5 };
        var syn = new TcpHeader(40000, 80, 1, 0, TcpFlags.Syn, 65535) { Options = new TcpOptions { MaximumSegmentSize = 1460 } };
        yield return buffer.AsSpan(0, FrameWriter.WriteTcp(buffer, tagged, new Ipv4Header(Peer, Local, IpProtocol.Tcp), syn, default)).ToArray();
    }

    /// <summary>ICMP port unreachable quoting one of our TCP segments' IPv4 header and first 8 bytes (RFC 792).</summary>
    private static byte[] Unreachable()
    {
        var quoted = new byte[Ipv4Packet.MinHeaderLength + 8];
        new Ipv4Header(Local, Peer, IpProtocol.Tcp).Emit(quoted, 20);
        BinaryPrimitives.WriteUInt16BigEndian(quoted.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(quoted.AsSpan(22), 80);
        var icmp = new byte[IcmpPacket.HeaderLength + quoted.Length];
        icmp[0] = 3;
        icmp[1] = 3;
        quoted.CopyTo(icmp, IcmpPacket.HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), InternetChecksum.Compute(icmp));
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + icmp.Length];
        int offset = new EthernetHeader(EngineTargets.LocalMac, EngineTargets.PeerMac, EtherType.Ipv4).Emit(frame);
        new Ipv4Header(Peer, Local, IpProtocol.Icmp).Emit(frame.AsSpan(offset), icmp.Length);
        icmp.CopyTo(frame, offset + Ipv4Packet.MinHeaderLength);
        return frame;
    }

    private static byte[] Response(ushort id, int responseCode, params (string Owner, DnsRecordType Type, byte[] Data)[] answers)
    {
        var bytes = new byte[512];
        int length = DnsMessage.WriteQuery(bytes, id, DnsName);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)(0x8180 | responseCode)); // QR, RD, RA
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(6), (ushort)answers.Length);
        foreach (var (owner, type, data) in answers)
        {
            // The first answer's owner is the question's name: a compression pointer to offset 12 (RFC 1035 §4.1.4).
            if (owner == DnsName)
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(length), 0xC00C);
                length += 2;
            }
            else
            {
                length += DnsMessage.WriteName(bytes.AsSpan(length), owner);
            }
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(length), (ushort)type);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(length + 2), 1);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(length + 4), 300);
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(length + 8), (ushort)data.Length);
            data.CopyTo(bytes, length + 10);
            length += 10 + data.Length;
        }
        return bytes[..length];
    }

    private static byte[] Name(string name)
    {
        var bytes = new byte[DnsMessage.MaxNameLength + 1];
        return bytes[..DnsMessage.WriteName(bytes, name)];
    }

    private static IEnumerable<byte[]> Distinct(IEnumerable<byte[]> items)
    {
        var seen = new HashSet<string>();
        foreach (var item in items)
            if (seen.Add(Convert.ToHexString(item))) yield return item;
    }
}
