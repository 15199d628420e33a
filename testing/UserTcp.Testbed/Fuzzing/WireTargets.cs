using System.Buffers.Binary;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Fuzzing;

/// <summary>
/// One target per wire parser: a parser must answer every byte string with a <see cref="WireStatus"/>, never an
/// exception, and after <see cref="WireStatus.Ok"/> no accessor may fail. Where a parsed value can be written back
/// (TCP header and options) the copy must parse to the same values.
/// </summary>
internal static class WireTargets
{
    private static readonly Ipv4Address Source = new(198, 18, 0, 1), Destination = new(198, 18, 0, 2);
    /// <summary>What the accessors returned, so that no read is optimised away.</summary>
    private static long Sink;

    public static void ParseEthernet(ReadOnlySpan<byte> input)
    {
        if (EthernetFrame.TryParse(input, out var frame) != WireStatus.Ok) return;
        Sink += frame.Destination.GetHashCode() + frame.Source.GetHashCode() + frame.VlanId + (int)frame.EtherType + frame.Payload.Length;
        Require(frame.Length + frame.Payload.Length == input.Length, "Ethernet header + payload = frame");
    }

    public static void ParseIpv4(ReadOnlySpan<byte> input)
    {
        if (Ipv4Packet.TryParse(input, out var ip) != WireStatus.Ok) return;
        Sink += ip.TypeOfService + ip.Identification + ip.FragmentOffset + ip.TimeToLive + (int)ip.Protocol + ip.HeaderChecksum
                + ip.Options.Length + ip.Payload.Length + (ip.DontFragment ? 1 : 0) + (ip.MoreFragments ? 1 : 0) + (ip.IsFragment ? 1 : 0)
                + ip.Source.GetHashCode() + ip.Destination.GetHashCode() + ip.ToHeader().GetHashCode();
        Require(ip.HeaderLength + ip.Payload.Length == ip.TotalLength && ip.TotalLength <= input.Length, "IPv4 lengths add up");
    }

    public static void ParseTcp(ReadOnlySpan<byte> input)
    {
        if (TcpSegment.TryParse(input, out var segment) != WireStatus.Ok) return;
        Sink += segment.SourcePort + segment.DestinationPort + segment.SequenceNumber + segment.AcknowledgmentNumber + (int)segment.Flags
                + segment.Window + segment.Checksum + segment.UrgentPointer + segment.Payload.Length + segment.SequenceLength
                + (int)segment.VerifyChecksum(Source, Destination);
        Require(segment.HeaderLength + segment.Payload.Length == input.Length, "TCP header + payload = segment");
        var header = segment.ToHeader();
        // Written back and parsed again: the same header (the options as the parser understood them).
        var copy = new byte[header.Length];
        header.Emit(copy, Source, Destination);
        Require(TcpSegment.TryParse(copy, out var again) == WireStatus.Ok, "an emitted header parses");
        Require(again.SourcePort == segment.SourcePort && again.DestinationPort == segment.DestinationPort
                && again.SequenceNumber == segment.SequenceNumber && again.AcknowledgmentNumber == segment.AcknowledgmentNumber
                && again.Flags == segment.Flags && again.Window == segment.Window && again.UrgentPointer == segment.UrgentPointer,
                "TCP header fields survive emit + parse");
        SameOptions(segment.Options, again.Options);
    }

    public static void ParseTcpOptions(ReadOnlySpan<byte> input)
    {
        if (input.Length > TcpOptions.MaxLength) input = input[..TcpOptions.MaxLength];
        if (TcpOptions.TryParse(input, out var options) != WireStatus.Ok) return;
        Require(options.Length <= TcpOptions.MaxLength, "parsed options re-emit within 40 bytes");
        var copy = new byte[TcpOptions.MaxLength];
        int length = options.Emit(copy);
        Require(length == options.Length && length % 4 == 0, "emitted options are Length long and padded to 4");
        Require(TcpOptions.TryParse(copy.AsSpan(0, length), out var again) == WireStatus.Ok, "emitted options parse");
        SameOptions(options, again);
    }

    public static void ParseUdp(ReadOnlySpan<byte> input)
    {
        if (UdpDatagram.TryParse(input, out var udp) != WireStatus.Ok) return;
        Sink += udp.SourcePort + udp.DestinationPort + udp.Length + udp.Checksum + udp.Payload.Length + (int)udp.VerifyChecksum(Source, Destination);
        Require(udp.Length <= input.Length && udp.Payload.Length == udp.Length - UdpDatagram.HeaderLength, "UDP lengths add up");
    }

    public static void ParseIcmp(ReadOnlySpan<byte> input)
    {
        if (IcmpPacket.TryParse(input, out var icmp) != WireStatus.Ok) return;
        Sink += (int)icmp.Type + icmp.Code + icmp.Checksum + icmp.Payload.Length + (icmp.IsEcho ? icmp.Identifier + icmp.SequenceNumber : 0);
    }

    public static void ParseArp(ReadOnlySpan<byte> input)
    {
        if (ArpPacket.TryParse(input, out var arp) != WireStatus.Ok) return;
        var message = arp.ToMessage();
        var copy = new byte[ArpPacket.Length];
        message.Emit(copy);
        Require(ArpPacket.TryParse(copy, out var again) == WireStatus.Ok && again.ToMessage() == message, "ARP survives emit + parse");
    }

    /// <summary>The DNS response parser, for the name its seeds ask about; the ID is taken from the input so that the fuzzer
    /// need not guess it.</summary>
    public static void ParseDns(ReadOnlySpan<byte> input)
    {
        ushort id = input.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(input) : (ushort)0;
        if (DnsMessage.TryParseResponse(input, id, SeedCorpus.DnsName, out var answer) != WireStatus.Ok) return;
        Require(answer is not null, "an Ok response has an answer");
        Sink += answer!.Addresses.Count + answer.Aliases.Count + answer.TimeToLiveSeconds;
    }

    private static void SameOptions(in TcpOptions parsed, in TcpOptions again) =>
        Require(again.MaximumSegmentSize == parsed.MaximumSegmentSize && again.WindowScale == parsed.WindowScale
                && again.SackPermitted == parsed.SackPermitted && again.Timestamps == parsed.Timestamps
                && again.SackBlockCount == parsed.EmittedSackBlockCount,
                $"TCP options survive emit + parse ({parsed.MaximumSegmentSize}/{parsed.WindowScale}/{parsed.SackPermitted}/{parsed.Timestamps}/{parsed.SackBlockCount} vs {again.MaximumSegmentSize}/{again.WindowScale}/{again.SackPermitted}/{again.Timestamps}/{again.SackBlockCount})");

    private static void Require(bool condition, string rule)
    {
        if (!condition) throw new TestbedException($"wire invariant violated: {rule}");
    }
}
