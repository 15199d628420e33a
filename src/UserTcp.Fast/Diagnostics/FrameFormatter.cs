using System.Globalization;
using System.Text;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Diagnostics;

/// <summary>
/// One tcpdump-style line per frame (close to <c>tcpdump -e -nn -S</c>), decoded with our own wire layer, plus a
/// checksum verdict. For people and tests, not for the per-packet path: it builds strings.
/// </summary>
internal static class FrameFormatter
{
    /// <summary>Appends the description of <paramref name="frame"/> (without timestamp) to <paramref name="line"/>.</summary>
    /// <param name="wireLength">The frame's length on the wire, which exceeds the captured bytes when the capture was cut.</param>
    public static void Append(StringBuilder line, ReadOnlySpan<byte> frame, int wireLength)
    {
        var status = EthernetFrame.TryParse(frame, out var ethernet);
        if (status != WireStatus.Ok)
        {
            line.Append("[ethernet: ").Append(Describe(status)).Append("], length ").Append(wireLength);
            return;
        }
        line.Append(ethernet.Source.ToString()).Append(" > ").Append(ethernet.Destination.ToString());
        if (ethernet.HasVlanTag) line.Append(", vlan ").Append(ethernet.VlanId);
        line.Append(", ").Append(EtherTypeName(ethernet.EtherType)).Append(", length ").Append(wireLength).Append(": ");
        switch (ethernet.EtherType)
        {
            case EtherType.Arp: AppendArp(line, ethernet.Payload); break;
            case EtherType.Ipv4: AppendIpv4(line, ethernet.Payload); break;
            default:
                line.Append("ethertype 0x").Append(((ushort)ethernet.EtherType).ToString("x4", CultureInfo.InvariantCulture))
                    .Append(" not decoded, length ").Append(ethernet.Payload.Length);
                break;
        }
        if (frame.Length < wireLength) line.Append(" [capture cut at ").Append(frame.Length).Append(']');
    }

    public static string Format(ReadOnlySpan<byte> frame, int wireLength)
    {
        var line = new StringBuilder(160);
        Append(line, frame, wireLength);
        return line.ToString();
    }

    private static string EtherTypeName(EtherType type) => type switch
    {
        EtherType.Ipv4 => "IPv4",
        EtherType.Arp => "ARP",
        EtherType.Ipv6 => "IPv6",
        _ => "ethertype",
    };

    private static string Describe(WireStatus status) => status switch
    {
        WireStatus.Truncated => "truncated",
        WireStatus.Unsupported => "unsupported",
        WireStatus.BadVersion => "bad version",
        WireStatus.BadHeaderLength => "bad header length",
        WireStatus.BadLength => "bad length",
        WireStatus.BadChecksum => "bad checksum",
        WireStatus.BadOption => "bad option",
        WireStatus.BadOperation => "bad operation",
        _ => status.ToString(),
    };

    private static void AppendArp(StringBuilder line, ReadOnlySpan<byte> payload)
    {
        var status = ArpPacket.TryParse(payload, out var arp);
        if (status != WireStatus.Ok)
        {
            line.Append("[arp: ").Append(Describe(status)).Append(']');
            return;
        }
        if (arp.Operation == ArpOperation.Request)
            line.Append("Request who-has ").Append(arp.TargetProtocolAddress.ToString()).Append(" tell ").Append(arp.SenderProtocolAddress.ToString());
        else
            line.Append("Reply ").Append(arp.SenderProtocolAddress.ToString()).Append(" is-at ").Append(arp.SenderHardwareAddress.ToString());
        line.Append(", length ").Append(ArpPacket.Length);
    }

    private static void AppendIpv4(StringBuilder line, ReadOnlySpan<byte> payload)
    {
        var status = Ipv4Packet.TryParse(payload, out var ip);
        if (status != WireStatus.Ok)
        {
            line.Append("[ipv4: ").Append(Describe(status)).Append(']');
            return;
        }
        if (ip.IsFragment)
        {
            line.Append(ip.Source.ToString()).Append(" > ").Append(ip.Destination.ToString())
                .Append(": fragment id ").Append(ip.Identification).Append(" offset ").Append(ip.FragmentOffset)
                .Append(ip.MoreFragments ? "+" : "").Append(", proto ").Append((byte)ip.Protocol).Append(", length ").Append(ip.Payload.Length);
            return;
        }
        switch (ip.Protocol)
        {
            case IpProtocol.Tcp: AppendTcp(line, ip); break;
            case IpProtocol.Udp: AppendUdp(line, ip); break;
            case IpProtocol.Icmp: AppendIcmp(line, ip); break;
            default:
                line.Append(ip.Source.ToString()).Append(" > ").Append(ip.Destination.ToString())
                    .Append(": ip-proto-").Append((byte)ip.Protocol).Append(", length ").Append(ip.Payload.Length);
                break;
        }
        if (ip.TimeToLive <= 1) line.Append(", ttl ").Append(ip.TimeToLive);
    }

    private static void AppendEndpoints(StringBuilder line, in Ipv4Packet ip, ushort sourcePort, ushort destinationPort) =>
        line.Append(ip.Source.ToString()).Append('.').Append(sourcePort).Append(" > ")
            .Append(ip.Destination.ToString()).Append('.').Append(destinationPort).Append(": ");

    private static void AppendTcp(StringBuilder line, in Ipv4Packet ip)
    {
        var status = TcpSegment.TryParse(ip.Payload, out var tcp);
        if (status != WireStatus.Ok)
        {
            line.Append(ip.Source.ToString()).Append(" > ").Append(ip.Destination.ToString()).Append(": [tcp: ").Append(Describe(status)).Append(']');
            return;
        }
        AppendEndpoints(line, ip, tcp.SourcePort, tcp.DestinationPort);
        var flags = tcp.Flags;
        line.Append("Flags [").Append(FlagLetters(flags)).Append(']');
        int payloadLength = tcp.Payload.Length;
        // tcpdump shows seq for data and for SYN/FIN/RST; ack only when the ACK bit is set.
        if (payloadLength > 0 || (flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) != 0)
        {
            line.Append(", seq ").Append(tcp.SequenceNumber);
            if (payloadLength > 0) line.Append(':').Append(unchecked(tcp.SequenceNumber + (uint)payloadLength));
        }
        if ((flags & TcpFlags.Ack) != 0) line.Append(", ack ").Append(tcp.AcknowledgmentNumber);
        line.Append(", win ").Append(tcp.Window);
        if ((flags & TcpFlags.Urg) != 0) line.Append(", urg ").Append(tcp.UrgentPointer);
        AppendOptions(line, tcp.Options);
        line.Append(", length ").Append(payloadLength);
        AppendVerdict(line, tcp.VerifyChecksum(ip.Source, ip.Destination), tcp.Checksum);
    }

    private static string FlagLetters(TcpFlags flags)
    {
        if ((flags & ~TcpFlags.Ns) == TcpFlags.None) return "none";
        var letters = new StringBuilder(8);
        // tcpdump's order: F S R P . U E W
        if ((flags & TcpFlags.Fin) != 0) letters.Append('F');
        if ((flags & TcpFlags.Syn) != 0) letters.Append('S');
        if ((flags & TcpFlags.Rst) != 0) letters.Append('R');
        if ((flags & TcpFlags.Psh) != 0) letters.Append('P');
        if ((flags & TcpFlags.Ack) != 0) letters.Append('.');
        if ((flags & TcpFlags.Urg) != 0) letters.Append('U');
        if ((flags & TcpFlags.Ece) != 0) letters.Append('E');
        if ((flags & TcpFlags.Cwr) != 0) letters.Append('W');
        return letters.ToString();
    }

    private static void AppendOptions(StringBuilder line, in TcpOptions options)
    {
        int start = line.Length;
        void Item(StringBuilder l, string text) => l.Append(l.Length == start ? ", options [" : ",").Append(text);
        if (options.MaximumSegmentSize is { } mss) Item(line, $"mss {mss}");
        if (options.SackPermitted) Item(line, "sackOK");
        if (options.Timestamps is { } ts) Item(line, $"TS val {ts.Value} ecr {ts.EchoReply}");
        if (options.WindowScale is { } shift) Item(line, $"wscale {shift}");
        if (options.SackBlockCount > 0)
        {
            var sack = new StringBuilder($"sack {options.SackBlockCount} ");
            for (int i = 0; i < options.SackBlockCount; i++)
            {
                var block = options.GetSackBlock(i);
                sack.Append('{').Append(block.Left).Append(':').Append(block.Right).Append('}');
            }
            Item(line, sack.ToString());
        }
        if (options.UnknownCount > 0) Item(line, $"unknown {options.UnknownCount}");
        if (line.Length > start) line.Append(']');
    }

    private static void AppendUdp(StringBuilder line, in Ipv4Packet ip)
    {
        var status = UdpDatagram.TryParse(ip.Payload, out var udp);
        if (status != WireStatus.Ok)
        {
            line.Append(ip.Source.ToString()).Append(" > ").Append(ip.Destination.ToString()).Append(": [udp: ").Append(Describe(status)).Append(']');
            return;
        }
        AppendEndpoints(line, ip, udp.SourcePort, udp.DestinationPort);
        line.Append("UDP, length ").Append(udp.Payload.Length);
        AppendVerdict(line, udp.VerifyChecksum(ip.Source, ip.Destination), udp.Checksum);
    }

    private static void AppendIcmp(StringBuilder line, in Ipv4Packet ip)
    {
        line.Append(ip.Source.ToString()).Append(" > ").Append(ip.Destination.ToString()).Append(": ICMP ");
        var status = IcmpPacket.TryParse(ip.Payload, out var icmp);
        if (status != WireStatus.Ok)
        {
            line.Append('[').Append(Describe(status)).Append("], length ").Append(ip.Payload.Length);
            return;
        }
        switch (icmp.Type)
        {
            case IcmpType.EchoRequest or IcmpType.EchoReply:
                line.Append(icmp.Type == IcmpType.EchoRequest ? "echo request" : "echo reply")
                    .Append(", id ").Append(icmp.Identifier).Append(", seq ").Append(icmp.SequenceNumber);
                break;
            case IcmpType.DestinationUnreachable: line.Append("unreachable, code ").Append(icmp.Code); break;
            case IcmpType.TimeExceeded: line.Append("time exceeded, code ").Append(icmp.Code); break;
            default: line.Append("type ").Append((byte)icmp.Type).Append(", code ").Append(icmp.Code); break;
        }
        line.Append(", length ").Append(ip.Payload.Length).Append(", cksum ok");
    }

    private static void AppendVerdict(StringBuilder line, ChecksumVerdict verdict, ushort field)
    {
        line.Append(verdict switch
        {
            ChecksumVerdict.Valid => ", cksum ok",
            ChecksumVerdict.Absent => ", cksum none",
            ChecksumVerdict.Partial => ", cksum partial",
            _ => $", cksum 0x{field:x4} bad",
        });
    }
}
