using UserTcp.Fast.Diagnostics;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Checkers;

/// <summary>
/// Composable frame assertions in the manner of gVisor's <c>checker</c> package: a frame, an IPv4 packet or a TCP segment
/// is parsed with the project's own wire layer, every checksum in it is verified first, then each given check runs. A
/// failure is a <see cref="TestbedException"/> naming every field that differs (expected and actual) and the whole frame
/// as a tcpdump-style line:
/// <code>
/// Checker.Frame(reply, EthernetCheck.Destination(peerMac),
///     EthernetCheck.Ipv4(Ipv4Check.Source(ours), Ipv4Check.Tcp(TcpCheck.Flags(TcpFlags.Ack), TcpCheck.Ack(5001))));
/// </code>
/// </summary>
internal static class Checker
{
    /// <summary>Asserts that the Ethernet <paramref name="frame"/> is well formed, its checksums valid, and every check holds.</summary>
    public static void Frame(ReadOnlySpan<byte> frame, params ReadOnlySpan<LayerCheck<EthernetFrame>> checks)
    {
        if (FrameFailure(frame, checks) is { } failure) throw Failed(failure, FrameFormatter.Format(frame, frame.Length));
    }

    /// <summary>Whether <paramref name="frame"/> passes <see cref="Frame"/>: for picking frames out of what a device received.</summary>
    public static bool Matches(ReadOnlySpan<byte> frame, params ReadOnlySpan<LayerCheck<EthernetFrame>> checks) =>
        FrameFailure(frame, checks) is null;

    /// <summary>Asserts that the IPv4 <paramref name="packet"/> is well formed, its checksums valid, and every check holds.</summary>
    public static void Ipv4(ReadOnlySpan<byte> packet, params ReadOnlySpan<LayerCheck<Ipv4Packet>> checks)
    {
        if (PacketFailure(packet, checks) is { } failure) throw Failed(failure, PacketSummary(packet));
    }

    /// <summary>
    /// Asserts that the TCP <paramref name="segment"/> from <paramref name="source"/> to <paramref name="destination"/> (the
    /// addresses its checksum covers) parses, its checksum is valid, and every check holds.
    /// </summary>
    public static void Tcp(ReadOnlySpan<byte> segment, Ipv4Address source, Ipv4Address destination, params ReadOnlySpan<LayerCheck<TcpSegment>> checks)
    {
        var status = TcpSegment.TryParse(segment, out var tcp);
        string? failure = status != WireStatus.Ok ? $"TCP: {status}"
            : Mismatch("TCP checksum", ChecksumVerdict.Valid, tcp.VerifyChecksum(source, destination)) ?? Apply(tcp, checks);
        if (failure is null) return;
        var packet = new byte[Ipv4Packet.MinHeaderLength + segment.Length];
        new Ipv4Header(source, destination, IpProtocol.Tcp).Emit(packet, segment.Length);
        segment.CopyTo(packet.AsSpan(Ipv4Packet.MinHeaderLength));
        throw Failed(failure, PacketSummary(packet));
    }

    /// <summary>"<paramref name="field"/>: expected …, got …" when the values differ, else null; a missing value shows as "none".</summary>
    internal static string? Mismatch<T>(string field, T expected, T actual) =>
        EqualityComparer<T>.Default.Equals(expected, actual) ? null : $"{field}: expected {expected?.ToString() ?? "none"}, got {actual?.ToString() ?? "none"}";

    /// <summary>Every failure of <paramref name="checks"/> on one layer, a line each; null when all hold.</summary>
    internal static string? Apply<TLayer>(TLayer layer, ReadOnlySpan<LayerCheck<TLayer>> checks) where TLayer : allows ref struct
    {
        string? failures = null;
        foreach (var check in checks)
            if (check.Failure(layer) is { } failure) failures = failures is null ? failure : failures + "\n" + failure;
        return failures;
    }

    /// <summary>What is wrong with <paramref name="frame"/> before any check: a layer that does not parse or a bad checksum.</summary>
    private static string? FrameFailure(ReadOnlySpan<byte> frame, ReadOnlySpan<LayerCheck<EthernetFrame>> checks)
    {
        var status = EthernetFrame.TryParse(frame, out var ethernet);
        if (status != WireStatus.Ok) return $"Ethernet: {status}";
        string? invalid = ethernet.EtherType switch
        {
            EtherType.Ipv4 => PacketFailure(ethernet.Payload, []),
            EtherType.Arp when ArpPacket.TryParse(ethernet.Payload, out _) is var arp && arp != WireStatus.Ok => $"ARP: {arp}",
            _ => null,
        };
        return invalid ?? Apply(ethernet, checks);
    }

    /// <summary>The IPv4 header checksum (verified by the parse) and the transport's, then the checks.</summary>
    private static string? PacketFailure(ReadOnlySpan<byte> packet, ReadOnlySpan<LayerCheck<Ipv4Packet>> checks)
    {
        var status = Ipv4Packet.TryParse(packet, out var ip);
        if (status != WireStatus.Ok) return $"IPv4: {status}";
        string? invalid = ip.Protocol switch
        {
            IpProtocol.Tcp => TcpSegment.TryParse(ip.Payload, out var tcp) is var parsed && parsed != WireStatus.Ok ? $"TCP: {parsed}"
                : Mismatch("TCP checksum", ChecksumVerdict.Valid, tcp.VerifyChecksum(ip.Source, ip.Destination)),
            IpProtocol.Udp => UdpDatagram.TryParse(ip.Payload, out var udp) is var parsed && parsed != WireStatus.Ok ? $"UDP: {parsed}"
                : Mismatch("UDP checksum", ChecksumVerdict.Valid, udp.VerifyChecksum(ip.Source, ip.Destination)),
            // An ICMP parse verifies the checksum: ICMP senders always compute it in full.
            IpProtocol.Icmp when IcmpPacket.TryParse(ip.Payload, out _) is var parsed && parsed != WireStatus.Ok => $"ICMP: {parsed}",
            _ => null,
        };
        return invalid ?? Apply(ip, checks);
    }

    private static TestbedException Failed(string failures, string summary) => new($"{failures}\nin {summary}");

    /// <summary>The tcpdump-style line of an IPv4 packet: the frame formatter's, without the Ethernet part a frame would have.</summary>
    private static string PacketSummary(ReadOnlySpan<byte> packet)
    {
        var frame = new byte[EthernetFrame.HeaderLength + packet.Length];
        new EthernetHeader(MacAddress.Zero, MacAddress.Zero, EtherType.Ipv4).Emit(frame);
        packet.CopyTo(frame.AsSpan(EthernetFrame.HeaderLength));
        string line = FrameFormatter.Format(frame, frame.Length);
        return line[(line.IndexOf(": ", StringComparison.Ordinal) + 2)..];
    }
}
