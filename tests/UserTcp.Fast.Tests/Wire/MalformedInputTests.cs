using System.Buffers.Binary;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>Bad bytes get a precise status, never an exception: truncations, every bad length and field, every malformed
/// TCP option, and seeded fuzzing through every parser.</summary>
public class MalformedInputTests
{
    // ---- Truncation ----

    [Theory]
    [MemberData(nameof(TestFrames.ValidNames), MemberType = typeof(TestFrames))]
    public void EveryTruncationOfAValidFrame_FailsUnlessOnlyPaddingWasCut(string name)
    {
        byte[] frame = TestFrames.Valid(name);
        var full = ParsedFrame.Parse(frame);
        Assert.Equal(WireStatus.Ok, full.Status);
        int meaningful = full.Ethernet!.Length + (full.Ipv4?.TotalLength ?? ArpPacket.Length);

        for (int length = 0; length < frame.Length; length++)
        {
            var parsed = ParsedFrame.Parse(frame.AsSpan(0, length));
            if (length >= meaningful)
                Assert.True(parsed.Status == WireStatus.Ok && parsed.Layer == full.Layer && parsed.Payload.SequenceEqual(full.Payload),
                            $"{name} cut to {length} bytes (padding only): {parsed.Layer} {parsed.Status}");
            else
                Assert.True(parsed.Status != WireStatus.Ok, $"{name} cut to {length} of {meaningful} bytes parsed Ok as {parsed.Layer}");
        }
    }

    public static TheoryData<string> TransportFrameNames =>
        [.. TestFrames.ValidFrameNames.Where(name => ParsedFrame.Parse(TestFrames.Valid(name)).Layer is Layer.Tcp or Layer.Udp or Layer.Icmp)];

    /// <summary>A transport parser given a cut message (no IP length to check it against) fails, or — when the cut is in
    /// the payload of a protocol without a length field — returns a view of a shorter payload.</summary>
    [Theory]
    [MemberData(nameof(TransportFrameNames))]
    public void EveryTruncationOfATransportMessage_FailsOrGivesAShorterPayload(string name)
    {
        byte[] frame = TestFrames.Valid(name);
        var full = ParsedFrame.Parse(frame);
        int start = full.Ethernet!.Length + full.Ipv4!.HeaderLength;
        int headerLength = full.Tcp?.HeaderLength ?? (full.Udp is not null ? UdpDatagram.HeaderLength : IcmpPacket.HeaderLength);
        var (source, destination) = (full.Ipv4.Header.Source, full.Ipv4.Header.Destination);

        for (int length = 0; length < full.Ipv4.TotalLength - full.Ipv4.HeaderLength; length++)
        {
            var message = frame.AsSpan(start, length);
            var parsed = full.Layer switch
            {
                Layer.Tcp => ParsedFrame.ParseTcp(message, source, destination),
                Layer.Udp => ParsedFrame.ParseUdp(message, source, destination),
                _ => ParsedFrame.ParseIcmp(message),
            };
            Assert.True(parsed.Status != WireStatus.Ok || length >= headerLength, $"{name}: header cut to {length} bytes parsed Ok");
            Assert.True(parsed.Status != WireStatus.Ok
                        || (parsed.Payload.Length < full.Payload.Length && full.Payload.AsSpan().StartsWith(parsed.Payload)),
                        $"{name} cut to {length} bytes: Ok with a payload that is not a shorter prefix");
        }
    }

    // ---- Ethernet ----

    [Theory]
    [InlineData("0800", WireStatus.Ok)]
    [InlineData("0600", WireStatus.Ok)] // lowest Ethernet II type
    [InlineData("05ff", WireStatus.Unsupported)] // 802.3 length field range (below 0x0600)
    [InlineData("05dc", WireStatus.Unsupported)] // 1500: a typical 802.3 length
    [InlineData("0000", WireStatus.Unsupported)]
    [InlineData("8100 0064 0800", WireStatus.Ok)]
    [InlineData("8100 0064 8100 0065 0800", WireStatus.Unsupported)] // stacked 802.1Q tags
    [InlineData("8100 0064 88a8 0065 0800", WireStatus.Unsupported)] // 802.1ad tag inside
    [InlineData("8100 0064 05dc", WireStatus.Unsupported)] // 802.3 length behind a tag
    public void Ethernet_TypeField(string typeAndTags, WireStatus expected)
    {
        byte[] frame = [.. TestFrames.Hex("52 54 00 12 35 02 08 00 27 8e 3c 1b"), .. TestFrames.Hex(typeAndTags), .. new byte[46]];
        Assert.Equal(expected, EthernetFrame.TryParse(frame, out _));
    }

    [Theory]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(17)]
    public void Ethernet_CutVlanTag_IsTruncated(int length) =>
        Assert.Equal(WireStatus.Truncated, EthernetFrame.TryParse(TestFrames.VlanTcpAck.AsSpan(0, length), out _));

    // ---- ARP ----

    [Theory]
    [InlineData(0, 0x0006, WireStatus.Unsupported)] // htype IEEE 802
    [InlineData(2, 0x86dd, WireStatus.Unsupported)] // ptype IPv6
    [InlineData(4, 0x0804, WireStatus.Unsupported)] // hlen 8
    [InlineData(4, 0x0610, WireStatus.Unsupported)] // plen 16
    [InlineData(6, 0x0000, WireStatus.BadOperation)]
    [InlineData(6, 0x0003, WireStatus.BadOperation)] // RARP request
    [InlineData(6, 0xffff, WireStatus.BadOperation)]
    [InlineData(6, 0x0002, WireStatus.Ok)]
    public void Arp_BadField(int offset, int value, WireStatus expected)
    {
        byte[] packet = TestFrames.ArpRequest[EthernetFrame.HeaderLength..];
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset), (ushort)value);
        Assert.Equal(expected, ArpPacket.TryParse(packet, out _));
    }

    // ---- IPv4 ----

    private static byte[] Ipv4Of(byte[] frame) => frame[EthernetFrame.HeaderLength..];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Ipv4_BadHeaderLength(int ihl) => AssertIpv4(packet => packet[0] = (byte)(0x40 | ihl), WireStatus.BadHeaderLength);

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(15)]
    public void Ipv4_BadVersion(int version) => AssertIpv4(packet => packet[0] = (byte)(version << 4 | 5), WireStatus.BadVersion);

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    public void Ipv4_TotalLengthBelowHeaderLength(int totalLength) => AssertIpv4(packet => SetTotalLength(packet, totalLength), WireStatus.BadLength);

    [Fact]
    public void Ipv4_TotalLengthBelowHeaderLengthWithOptions() =>
        AssertIpv4(packet => SetTotalLength(packet, 23), WireStatus.BadLength, Ipv4Of(TestFrames.IgmpReportRouterAlert));

    [Theory]
    [InlineData(1)]
    [InlineData(0xFFFF)]
    public void Ipv4_TotalLengthPastTheBuffer(int excess) =>
        AssertIpv4(packet => SetTotalLength(packet, Math.Min(packet.Length + excess, 0xFFFF)), WireStatus.Truncated);

    /// <summary>A 24-byte packet: IHL 6 just fits (its last word read as an option), longer headers run past the buffer.</summary>
    [Theory]
    [InlineData(6, WireStatus.Ok)]
    [InlineData(7, WireStatus.Truncated)]
    [InlineData(15, WireStatus.Truncated)]
    public void Ipv4_HeaderLengthPastTheBuffer(int ihl, WireStatus expected)
    {
        var packet = new byte[24];
        new Ipv4Header(TestFrames.HostIp, TestFrames.ServerIp, IpProtocol.Udp).Emit(packet, payloadLength: 4);
        AssertIpv4(p => p[0] = (byte)(0x40 | ihl), expected, packet);
    }

    [Fact]
    public void Ipv4_TotalLengthShorterThanTheBufferTrimsThePayload()
    {
        byte[] packet = Ipv4Of(TestFrames.IcmpEchoRequest);
        SetTotalLength(packet, 28);
        TestFrames.RefreshIpv4Checksum(packet);
        Assert.Equal(WireStatus.Ok, Ipv4Packet.TryParse(packet, out var view));
        Assert.Equal((28, 8), (view.TotalLength, view.Payload.Length));
    }

    public static TheoryData<string, int> Ipv4HeaderBytes()
    {
        var data = new TheoryData<string, int>();
        foreach (int offset in new[] { 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 19 }) data.Add(nameof(TestFrames.LinuxSyn), offset);
        foreach (int offset in new[] { 20, 23 }) data.Add(nameof(TestFrames.IgmpReportRouterAlert), offset); // the option
        return data;
    }

    /// <summary>Any changed header byte (other than those checked before the checksum) fails the header checksum.</summary>
    [Theory]
    [MemberData(nameof(Ipv4HeaderBytes))]
    public void Ipv4_ChangedHeaderByte_IsBadChecksum(string frame, int offset)
    {
        byte[] packet = Ipv4Of(TestFrames.Valid(frame));
        packet[offset] ^= 0x01;
        Assert.Equal(WireStatus.BadChecksum, Ipv4Packet.TryParse(packet, out _));
    }

    /// <summary>Patches a valid IPv4 packet (the ICMP echo request unless given), recomputes its header checksum so the
    /// check under test is not masked by a checksum failure, and expects <paramref name="expected"/>.</summary>
    private static void AssertIpv4(Action<byte[]> patch, WireStatus expected, byte[]? packet = null)
    {
        packet ??= Ipv4Of(TestFrames.IcmpEchoRequest);
        patch(packet);
        TestFrames.RefreshIpv4Checksum(packet);
        Assert.Equal(expected, Ipv4Packet.TryParse(packet, out _));
    }

    private static void SetTotalLength(byte[] packet, int totalLength) => BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)totalLength);

    // ---- TCP ----

    /// <summary>The Linux SYN's 40-byte segment.</summary>
    private static byte[] SynSegment => TestFrames.LinuxSyn[34..];

    [Theory]
    [InlineData(0, WireStatus.BadHeaderLength)]
    [InlineData(4, WireStatus.BadHeaderLength)]
    [InlineData(5, WireStatus.Ok)] // options then read as payload
    [InlineData(10, WireStatus.Ok)]
    [InlineData(11, WireStatus.Truncated)]
    [InlineData(15, WireStatus.Truncated)]
    public void Tcp_DataOffset(int dataOffset, WireStatus expected)
    {
        byte[] segment = SynSegment;
        segment[12] = (byte)(dataOffset << 4 | segment[12] & 0xF);
        Assert.Equal(expected, TcpSegment.TryParse(segment, out var view));
        if (expected == WireStatus.Ok) Assert.Equal(segment.Length - dataOffset * 4, view.Payload.Length);
    }

    /// <summary>Each case is a whole number of words, so it can also stand as the options of a real header.</summary>
    [Theory]
    [InlineData("01 01 01 02")] // MSS kind in the last byte: no length byte
    [InlineData("01 01 01 08")] // timestamps kind in the last byte
    [InlineData("01 01 01 fe")] // unknown kind in the last byte
    [InlineData("02 00 00 00")] // length 0
    [InlineData("fe 00 01 01")] // unknown kind, length 0 (would never advance)
    [InlineData("02 01 01 01")] // length 1
    [InlineData("fe 01 01 01")] // unknown kind, length 1
    [InlineData("01 01 02 04")] // MSS running past the end
    [InlineData("08 0a 00 00 00 00 00 00")] // timestamps running past the end
    [InlineData("fe 08 00 00")] // unknown option running past the end
    [InlineData("02 02 01 01")] // MSS length 2
    [InlineData("02 03 05 00")] // MSS length 3
    [InlineData("02 05 05 b4 00 00 00 00")] // MSS length 5
    [InlineData("03 02 01 01")] // window scale length 2
    [InlineData("03 04 07 00")] // window scale length 4
    [InlineData("04 03 00 01")] // SACK-permitted length 3
    [InlineData("04 04 00 00")] // SACK-permitted length 4
    [InlineData("08 08 00 00 00 00 00 00")] // timestamps length 8
    [InlineData("08 0c 00 00 00 00 00 00 00 00 00 00")] // timestamps length 12
    [InlineData("05 02 01 01")] // SACK without a block
    [InlineData("05 09 00 00 00 00 00 00 00 01 01 01")] // SACK length 9 (not 2 + 8n)
    [InlineData("05 0e 00 00 00 00 00 00 00 00 00 00 00 00 01 01")] // SACK length 14
    [InlineData("02 04 05 b4 05 0a 00 00 00 01 00 00 00 02 02 01")] // good MSS, good SACK, then a length 1
    public void Tcp_MalformedOption_IsBadOption(string hex)
    {
        byte[] options = TestFrames.Hex(hex);
        Assert.Equal(WireStatus.BadOption, TcpOptions.TryParse(options, out _));

        var segment = new byte[TcpSegment.MinHeaderLength + options.Length];
        new TcpHeader(1, 2, 3, 4, TcpFlags.Ack, 5).Emit(segment, TestFrames.HostIp, TestFrames.ServerIp);
        segment[12] = (byte)(segment.Length / 4 << 4);
        options.CopyTo(segment, TcpSegment.MinHeaderLength);
        Assert.Equal(WireStatus.BadOption, TcpSegment.TryParse(segment, out _));
    }

    /// <summary>Five SACK blocks cannot fit in a header, but <see cref="TcpOptions.TryParse"/> takes any span.</summary>
    [Fact]
    public void Tcp_SackWithMoreThanFourBlocks_IsBadOption()
    {
        byte[] options = [5, 2 + 8 * 5, .. new byte[8 * 5]];
        Assert.Equal(WireStatus.BadOption, TcpOptions.TryParse(options, out _));
        options[1] = 2 + 8 * 4;
        Assert.Equal(WireStatus.Ok, TcpOptions.TryParse(options.AsSpan(0, 2 + 8 * 4), out var four));
        Assert.Equal(4, four.SackBlockCount);
    }

    public static TheoryData<string> ChecksummedTransportFrameNames =>
        [.. TestFrames.ValidFrameNames.Where(name => ParsedFrame.Parse(TestFrames.Valid(name)) is { Tcp: not null } or { Udp.Checksum: not 0 })];

    /// <summary>TCP and UDP checksums are a policy checked apart from parsing: a corrupted segment parses, and verifies Invalid.</summary>
    [Theory]
    [MemberData(nameof(ChecksummedTransportFrameNames))]
    public void TransportChecksum_CorruptedSegment_ParsesButVerifiesInvalid(string name)
    {
        byte[] frame = TestFrames.Valid(name);
        var full = ParsedFrame.Parse(frame);
        int field = full.Tcp is not null ? 4 : 0; // the sequence number, or the UDP source port: parsing reads neither
        frame[full.Ethernet!.Length + full.Ipv4!.HeaderLength + field] ^= 0x80;

        var parsed = ParsedFrame.Parse(frame);
        Assert.Equal((full.Layer, WireStatus.Ok), (parsed.Layer, parsed.Status));
        Assert.Equal(ChecksumVerdict.Invalid, parsed.Tcp?.Verdict ?? parsed.Udp!.Verdict);
    }

    // ---- UDP ----

    [Theory]
    [InlineData(0, WireStatus.BadLength)]
    [InlineData(7, WireStatus.BadLength)]
    [InlineData(8, WireStatus.Ok)]
    [InlineData(37, WireStatus.Ok)]
    [InlineData(38, WireStatus.Truncated)]
    [InlineData(0xFFFF, WireStatus.Truncated)]
    public void Udp_LengthField(int length, WireStatus expected)
    {
        byte[] datagram = TestFrames.DnsQuery[34..];
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)length);
        Assert.Equal(expected, UdpDatagram.TryParse(datagram, out var view));
        if (expected == WireStatus.Ok) Assert.Equal(length - UdpDatagram.HeaderLength, view.Payload.Length);
    }

    // ---- ICMP ----

    [Fact]
    public void Icmp_AnyChangedByte_IsBadChecksum()
    {
        byte[] message = TestFrames.IcmpEchoRequest[34..];
        for (int offset = 0; offset < message.Length; offset++)
        {
            message[offset] ^= 0x10;
            Assert.True(IcmpPacket.TryParse(message, out _) == WireStatus.BadChecksum, $"changed byte {offset} accepted");
            message[offset] ^= 0x10;
        }
        Assert.Equal(WireStatus.Ok, IcmpPacket.TryParse(message, out _));
    }

    // ---- Fuzzing ----

    [Fact]
    public void RandomBuffers_ThroughEveryParser() => Seeded.ForEach(1, 5000, random => FuzzCorpus.CheckEveryLayer(FuzzCorpus.RandomBuffer(random)));

    [Fact]
    public void MutatedValidFrames_ThroughEveryParser() => Seeded.ForEach(100_000, 5000, random => FuzzCorpus.CheckEveryLayer(FuzzCorpus.MutatedFrame(random)));

    private static readonly byte[] InterestingOptionKinds = [0, 1, 2, 3, 4, 5, 8, 30];

    /// <summary>Random option areas drawn mostly from the kinds and lengths the parser distinguishes.</summary>
    [Fact]
    public void RandomTcpOptionBytes() => Seeded.ForEach(200_000, 5000, random =>
    {
        var bytes = new byte[random.Next(TcpOptions.MaxLength + 1)];
        for (int i = 0; i < bytes.Length; i++)
            bytes[i] = random.Next(3) switch
            {
                0 => InterestingOptionKinds[random.Next(InterestingOptionKinds.Length)],
                1 => (byte)random.Next(12),
                _ => random.NextByte(),
            };
        var status = TcpOptions.TryParse(bytes, out var options);
        Assert.True(status is WireStatus.Ok or WireStatus.BadOption, $"status {status}");
        if (status == WireStatus.Ok)
        {
            Assert.InRange(options.SackBlockCount, 0, TcpOptions.MaxSackBlocks);
            Assert.InRange(options.UnknownCount, 0, bytes.Length / 2);
        }
    });
}
