using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>Emit, then parse: every field of every header comes back, and emitters write nothing past what they claim.</summary>
public class RoundTripTests
{
    [Theory]
    [InlineData(null, 0x0800)]
    [InlineData(null, 0x0806)]
    [InlineData(null, 0x0600)] // lowest Ethernet II type
    [InlineData(null, 0xFFFF)]
    [InlineData((ushort)0, 0x0800)] // priority-tagged: a tag with VLAN 0
    [InlineData((ushort)1, 0x86DD)]
    [InlineData((ushort)4095, 0x0806)]
    public void Ethernet(ushort? vlanId, int etherType)
    {
        var header = new EthernetHeader(new MacAddress(0x0123_4567_89AB), new MacAddress(0xFEDC_BA98_7654), (EtherType)etherType, vlanId);
        var frame = WireAssert.Filled(header.Length);
        Assert.Equal(header.Length, header.Emit(frame));

        Assert.Equal(WireStatus.Ok, EthernetFrame.TryParse(frame, out var view));
        Assert.Equal(header.Length, view.Length);
        Assert.Equal(vlanId is not null, view.HasVlanTag);
        Assert.Equal(header, new EthernetHeader(view.Destination, view.Source, view.EtherType, view.HasVlanTag ? view.VlanId : null));
        Assert.True(view.Payload.IsEmpty);
    }

    [Fact]
    public void Ethernet_VlanIdIsCutTo12Bits()
    {
        var header = new EthernetHeader(MacAddress.Broadcast, MacAddress.Zero, EtherType.Ipv4, VlanId: 0xF123);
        var frame = WireAssert.Filled(header.Length);
        header.Emit(frame);
        Assert.Equal(WireStatus.Ok, EthernetFrame.TryParse(frame, out var view));
        Assert.Equal(0x123, view.VlanId);
        Assert.Equal(0x01, frame[14]); // priority bits written as zero
    }

    [Fact]
    public void Arp() => Seeded.ForEach(1000, 200, random =>
    {
        var message = new ArpMessage(random.NextBool() ? ArpOperation.Request : ArpOperation.Reply,
                                     random.NextMac(), random.NextIpv4(), random.NextMac(), random.NextIpv4());
        var packet = WireAssert.Filled(ArpPacket.Length);
        Assert.Equal(ArpPacket.Length, message.Emit(packet));
        Assert.Equal(WireStatus.Ok, ArpPacket.TryParse(packet, out var view));
        Assert.Equal(message, view.ToMessage());
    });

    [Fact]
    public void Ipv4_EveryFieldAndOptionLength() => Seeded.ForEach(2000, 300, random =>
    {
        var header = random.NextIpv4Header((IpProtocol)random.NextByte(), fragment: true);
        byte[] options = random.NextBytes(4 * random.Next(11));
        int payloadLength = random.Next(100);
        int headerLength = Ipv4Packet.MinHeaderLength + options.Length;
        var packet = WireAssert.Filled(headerLength + payloadLength);

        Assert.Equal(headerLength, header.Emit(packet, payloadLength, options));

        Assert.Equal(WireStatus.Ok, Ipv4Packet.TryParse(packet, out var view));
        Assert.Equal(header, view.ToHeader());
        Assert.Equal(headerLength, view.HeaderLength);
        Assert.Equal(packet.Length, view.TotalLength);
        Assert.Equal(options, view.Options.ToArray());
        Assert.Equal(payloadLength, view.Payload.Length);
        Assert.Equal(header.MoreFragments || header.FragmentOffset != 0, view.IsFragment);
    });

    [Theory]
    [InlineData(true, false, 0)]
    [InlineData(false, true, 0)]
    [InlineData(false, true, 1480)]
    [InlineData(false, false, 1480)] // last fragment
    [InlineData(true, true, 8 * 0x1FFF)] // largest offset
    public void Ipv4_FragmentFields(bool dontFragment, bool moreFragments, int fragmentOffset)
    {
        var header = new Ipv4Header(TestFrames.HostIp, TestFrames.ServerIp, IpProtocol.Udp, DontFragment: dontFragment)
        {
            MoreFragments = moreFragments,
            FragmentOffset = fragmentOffset,
        };
        var packet = WireAssert.Filled(Ipv4Packet.MinHeaderLength);
        header.Emit(packet, payloadLength: 0);
        Assert.Equal(WireStatus.Ok, Ipv4Packet.TryParse(packet, out var view));
        Assert.Equal((dontFragment, moreFragments, fragmentOffset), (view.DontFragment, view.MoreFragments, view.FragmentOffset));
        Assert.Equal(moreFragments || fragmentOffset != 0, view.IsFragment);
        Assert.Equal((ushort)((dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0) | fragmentOffset / 8), (ushort)(packet[6] << 8 | packet[7]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    [InlineData(44)]
    public void Ipv4_RejectsOptionsThatAreNotWholeWordsOrTooLong(int length)
    {
        var header = new Ipv4Header(TestFrames.HostIp, TestFrames.ServerIp, IpProtocol.Tcp);
        Assert.Throws<ArgumentException>(() => header.Emit(new byte[100], 0, new byte[length]));
    }

    [Fact]
    public void Icmp_EchoRequestAndReply() => Seeded.ForEach(3000, 200, random =>
    {
        var echo = new IcmpEchoHeader(random.NextBool() ? IcmpType.EchoRequest : IcmpType.EchoReply, random.NextUInt16(), random.NextUInt16());
        byte[] data = random.NextBytes(random.Next(100));
        var message = WireAssert.Filled(IcmpPacket.HeaderLength + data.Length);
        data.CopyTo(message, IcmpPacket.HeaderLength);

        Assert.Equal(IcmpPacket.HeaderLength, echo.Emit(message));

        Assert.Equal(WireStatus.Ok, IcmpPacket.TryParse(message, out var view));
        Assert.Equal(echo, new IcmpEchoHeader(view.Type, view.Identifier, view.SequenceNumber));
        Assert.Equal(0, view.Code);
        Assert.True(view.IsEcho);
        Assert.Equal(data, view.Payload.ToArray());
    });

    [Fact]
    public void Udp_WithChecksum() => Seeded.ForEach(4000, 200, random =>
    {
        var (source, destination) = (random.NextIpv4(), random.NextIpv4());
        var header = new UdpHeader(random.NextUInt16(), random.NextUInt16());
        byte[] data = random.NextBytes(random.Next(100));
        var datagram = WireAssert.Filled(UdpDatagram.HeaderLength + data.Length);
        data.CopyTo(datagram, UdpDatagram.HeaderLength);

        Assert.Equal(UdpDatagram.HeaderLength, header.Emit(datagram, source, destination));

        Assert.Equal(WireStatus.Ok, UdpDatagram.TryParse(datagram, out var view));
        Assert.Equal(header, new UdpHeader(view.SourcePort, view.DestinationPort));
        Assert.Equal(datagram.Length, view.Length);
        Assert.NotEqual(0, view.Checksum);
        Assert.Equal(ChecksumVerdict.Valid, view.VerifyChecksum(source, destination));
        Assert.Equal(data, view.Payload.ToArray());
    });

    [Fact]
    public void Udp_WithoutChecksum_SendsZeroAndParsesAsAbsent()
    {
        var datagram = WireAssert.Filled(UdpDatagram.HeaderLength + 3);
        new UdpHeader(1, 2).Emit(datagram, TestFrames.HostIp, TestFrames.ServerIp, computeChecksum: false);
        Assert.Equal(WireStatus.Ok, UdpDatagram.TryParse(datagram, out var view));
        Assert.Equal(0, view.Checksum);
        Assert.Equal(ChecksumVerdict.Absent, view.VerifyChecksum(TestFrames.HostIp, TestFrames.ServerIp));
    }

    /// <summary>RFC 768: a checksum that computes to zero is sent as all ones, since zero means "none".</summary>
    [Fact]
    public void Udp_ComputedZeroChecksumIsSentAsAllOnes()
    {
        var (source, destination) = (TestFrames.HostIp, TestFrames.DnsIp);
        var header = new UdpHeader(53412, 53);
        var datagram = new byte[UdpDatagram.HeaderLength + 4];
        header.Emit(datagram, source, destination);
        // The last payload word is zero; setting it to the checksum makes the sum 0xFFFF, so the next checksum computes to zero.
        datagram.AsSpan(6, 2).CopyTo(datagram.AsSpan(10));

        header.Emit(datagram, source, destination);

        Assert.Equal("FFFF", Convert.ToHexString(datagram, 6, 2));
        Assert.Equal(WireStatus.Ok, UdpDatagram.TryParse(datagram, out var view));
        Assert.Equal(ChecksumVerdict.Valid, view.VerifyChecksum(source, destination));
    }

    [Fact]
    public void Tcp_EveryFieldAndRandomOptions() => Seeded.ForEach(5000, 500, random =>
    {
        var (source, destination) = (random.NextIpv4(), random.NextIpv4());
        var header = random.NextTcpHeader();
        byte[] payload = random.NextBytes(random.Next(64));
        var segment = WireAssert.Filled(header.Length + payload.Length);
        payload.CopyTo(segment, header.Length);

        Assert.Equal(header.Length, header.Emit(segment, source, destination));

        Assert.Equal(WireStatus.Ok, TcpSegment.TryParse(segment, out var view));
        WireAssert.Equal(header with { Options = header.Options.AsEmitted() }, view.ToHeader());
        Assert.Equal(header.Length, view.HeaderLength);
        Assert.Equal(segment.Length, view.Length);
        Assert.Equal(payload, view.Payload.ToArray());
        Assert.Equal(ChecksumVerdict.Valid, view.VerifyChecksum(source, destination));
    });

    public static TheoryData<string, TcpOptions> OptionSets()
    {
        var data = new TheoryData<string, TcpOptions>
        {
            { "none", new TcpOptions() },
            { "mss", new TcpOptions { MaximumSegmentSize = 536 } },
            { "wscale", new TcpOptions { WindowScale = 14 } },
            { "sackOK", new TcpOptions { SackPermitted = true } },
            { "TS", new TcpOptions { Timestamps = new(0xFFFF_FFFF, 1) } },
            { "linux SYN", new TcpOptions { MaximumSegmentSize = 1460, SackPermitted = true, Timestamps = new(5, 0), WindowScale = 7 } },
            { "SYN without TS", new TcpOptions { MaximumSegmentSize = 1460, SackPermitted = true, WindowScale = 7 } },
            { "mss+wscale", new TcpOptions { MaximumSegmentSize = 65535, WindowScale = 0 } },
        };
        for (int blocks = 1; blocks <= TcpOptions.MaxSackBlocks; blocks++)
        {
            data.Add($"{blocks} SACK", WithSampleSackBlocks(new TcpOptions(), blocks));
            if (blocks <= 3) data.Add($"TS+{blocks} SACK", WithSampleSackBlocks(new TcpOptions { Timestamps = new(7, 8) }, blocks));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void TcpOptions_EachKindAndCombination(string name, TcpOptions options)
    {
        Assert.Equal(options.SackBlockCount, options.EmittedSackBlockCount);
        var bytes = WireAssert.Filled(TcpOptions.MaxLength);
        int length = options.Emit(bytes);

        Assert.Equal(options.Length, length);
        Assert.True(length % 4 == 0 && length <= TcpOptions.MaxLength, $"{name}: length {length}");
        Assert.All(bytes[length..], b => Assert.Equal(WireAssert.Fill, b));
        Assert.Equal(WireStatus.Ok, TcpOptions.TryParse(bytes.AsSpan(0, length), out var parsed));
        WireAssert.Equal(options, parsed);
    }

    /// <summary>SACK blocks are cut to what fits in 40 option bytes beside the other options, oldest (last) first.</summary>
    [Theory]
    [InlineData(false, false, 4)]
    [InlineData(true, false, 3)] // RFC 2018 §3: three blocks beside timestamps
    [InlineData(false, true, 3)] // nop,wscale leaves room for three
    [InlineData(true, true, 2)]
    public void TcpOptions_SackBlocksAreCutToWhatFits(bool timestamps, bool mssAndWindowScale, int expectedBlocks)
    {
        var options = WithSampleSackBlocks(new TcpOptions
        {
            Timestamps = timestamps ? new(1, 2) : null,
            MaximumSegmentSize = mssAndWindowScale ? (ushort)1460 : null,
            WindowScale = mssAndWindowScale ? (byte)7 : null,
        }, TcpOptions.MaxSackBlocks);

        Assert.Equal(expectedBlocks, options.EmittedSackBlockCount);
        var bytes = new byte[TcpOptions.MaxLength];
        int length = options.Emit(bytes);
        Assert.True(length <= TcpOptions.MaxLength);
        Assert.True(length + 8 > TcpOptions.MaxLength, "one more block would have fitted");

        Assert.Equal(WireStatus.Ok, TcpOptions.TryParse(bytes.AsSpan(0, length), out var parsed));
        Assert.Equal(expectedBlocks, parsed.SackBlockCount);
        for (int i = 0; i < expectedBlocks; i++) Assert.Equal(options.GetSackBlock(i), parsed.GetSackBlock(i));
    }

    [Theory]
    [InlineData("1e 0c 00 01 02 03 04 05 06 07 08 09 02 04 05 b4", 1)] // MPTCP, then MSS
    [InlineData("01 22 02 01 01 04 02 00", 1)] // empty TFO cookie, sackOK, EOL
    [InlineData("1c 04 80 10 fe 06 f9 89 01 02 08 0a 00 00 00 05 00 00 00 06 01 01", 2)] // user timeout, experimental, TS
    [InlineData("13 12 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 03 03 0e 00", 1)] // MD5 signature, wscale
    public void TcpOptions_UnknownKindsAreSkippedAndCounted(string hex, int unknown)
    {
        Assert.Equal(WireStatus.Ok, TcpOptions.TryParse(TestFrames.Hex(hex), out var options));
        Assert.Equal(unknown, options.UnknownCount);
        int known = (options.MaximumSegmentSize is null ? 0 : 1) + (options.SackPermitted ? 1 : 0) + (options.Timestamps is null ? 0 : 1)
                    + (options.WindowScale is null ? 0 : 1);
        Assert.Equal(1, known);
        Assert.True(options.MaximumSegmentSize is null or 1460);
        Assert.True(options.Timestamps is null || options.Timestamps == new TcpTimestamps(5, 6));
        Assert.True(options.WindowScale is null or 14);
    }

    [Fact]
    public void TcpOptions_EndOfListStopsParsing()
    {
        Assert.Equal(WireStatus.Ok, TcpOptions.TryParse(TestFrames.Hex("02 04 05 b4 00 03 03 07 ff 00 01 02"), out var options));
        Assert.Equal((ushort)1460, options.MaximumSegmentSize);
        Assert.Null(options.WindowScale);
        Assert.Equal(0, options.UnknownCount);
    }

    [Fact]
    public void TcpOptions_SackBlockStorage()
    {
        var options = WithSampleSackBlocks(new TcpOptions(), TcpOptions.MaxSackBlocks);
        Assert.Throws<InvalidOperationException>(() => options.AddSackBlock(new SackBlock(9, 9)));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.GetSackBlock(TcpOptions.MaxSackBlocks));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.GetSackBlock(-1));

        options.ClearSackBlocks();
        Assert.Equal(0, options.SackBlockCount);
        Assert.Equal(0, options.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.GetSackBlock(0));
    }

    /// <summary>Equality compares options by value and only the SACK blocks in use; the compiler-generated equality of
    /// <see cref="TcpHeader"/> relies on it (built-in equality throws on the inline SACK array).</summary>
    [Fact]
    public void TcpOptions_EqualityIsByValue()
    {
        var twoBlocks = WithSampleSackBlocks(new TcpOptions { Timestamps = new(1, 2) }, 2);
        var same = WithSampleSackBlocks(new TcpOptions { Timestamps = new(1, 2) }, 2);
        var otherSecondBlock = WithSampleSackBlocks(new TcpOptions { Timestamps = new(1, 2) }, 1);
        otherSecondBlock.AddSackBlock(new SackBlock(0xDEAD, 0xBEEF));
        var cleared = WithSampleSackBlocks(new TcpOptions { Timestamps = new(1, 2) }, 4);
        cleared.ClearSackBlocks();

        Assert.True(twoBlocks == same);
        Assert.Equal(twoBlocks.GetHashCode(), same.GetHashCode());
        Assert.True(twoBlocks != otherSecondBlock);
        Assert.True(cleared == new TcpOptions { Timestamps = new(1, 2) }, "blocks past the count are ignored");
        Assert.False(twoBlocks.Equals((object)"not options"));

        var header = new TcpHeader(1, 2, 3, 4, TcpFlags.Ack, 5) { Options = twoBlocks };
        Assert.Equal(header, header with { Options = same });
        Assert.NotEqual(header, header with { Options = otherSecondBlock });
    }

    public static TheoryData<string> SingleFieldDifferences =>
        ["mss", "wscale", "sackOK", "timestamp value", "timestamp echo", "sack block count", "sack block edge", "unknown count"];

    [Theory]
    [MemberData(nameof(SingleFieldDifferences))]
    public void TcpOptions_DifferingInOneField_AreNotEqual(string field)
    {
        var a = WithSampleSackBlocks(new TcpOptions { MaximumSegmentSize = 1460, WindowScale = 7, SackPermitted = true, Timestamps = new(1, 2) }, 2);
        var b = a;
        var blocks = a.SackBlocks();
        switch (field)
        {
            case "mss": b.MaximumSegmentSize = 1461; break;
            case "wscale": b.WindowScale = null; break;
            case "sackOK": b.SackPermitted = false; break;
            case "timestamp value": b.Timestamps = new(3, 2); break;
            case "timestamp echo": b.Timestamps = new(1, 3); break;
            case "sack block count": b = b.WithSackBlocks(blocks[..1]); break;
            case "sack block edge":
                blocks[1] = blocks[1] with { Right = blocks[1].Right + 1 };
                b = b.WithSackBlocks(blocks);
                break;
            case "unknown count":
                Assert.Equal(WireStatus.Ok, TcpOptions.TryParse(TestFrames.Hex("1e 02"), out a));
                Assert.Equal(WireStatus.Ok, TcpOptions.TryParse(TestFrames.Hex("01 01"), out b));
                break;
            default: throw new ArgumentOutOfRangeException(nameof(field), field, null);
        }
        Assert.True(a != b, $"{field}: {WireAssert.Describe(a)} == {WireAssert.Describe(b)}");
        Assert.False(a.Equals(b));
        Assert.False(a.Equals((object)b));
    }

    /// <summary>An option sent twice (which no sender should do) counts once, the last one winning.</summary>
    [Theory]
    [InlineData("02 04 05 b4 02 04 23 28", "mss=9000 wscale=- sackOK=False ts=- sack=[] unknown=0")]
    [InlineData("05 0a 00 00 00 01 00 00 00 02 05 1a 00 00 00 03 00 00 00 04 00 00 00 05 00 00 00 06 00 00 00 07 00 00 00 08 01 01",
                "mss=- wscale=- sackOK=False ts=- sack=[3-4 5-6 7-8] unknown=0")]
    public void TcpOptions_RepeatedOption_LastWins(string hex, string expected)
    {
        Assert.Equal(WireStatus.Ok, TcpOptions.TryParse(TestFrames.Hex(hex), out var options));
        Assert.Equal(expected, WireAssert.Describe(options));
    }

    [Theory]
    [InlineData(TcpFlags.Ack, 0, 0)]
    [InlineData(TcpFlags.Syn, 0, 1)]
    [InlineData(TcpFlags.Syn | TcpFlags.Fin, 0, 2)]
    [InlineData(TcpFlags.Fin | TcpFlags.Ack, 10, 11)]
    [InlineData(TcpFlags.Rst, 3, 3)]
    public void Tcp_SequenceLengthCountsSynAndFin(TcpFlags flags, int payloadLength, int sequenceLength)
    {
        var header = new TcpHeader(1, 2, 3, 4, flags, 5);
        var segment = new byte[header.Length + payloadLength];
        header.Emit(segment, TestFrames.HostIp, TestFrames.ServerIp);
        Assert.Equal(WireStatus.Ok, TcpSegment.TryParse(segment, out var view));
        Assert.Equal(sequenceLength, view.SequenceLength);
    }

    [Fact]
    public void Ipv4_EthernetPaddingIsTrimmedByTotalLength()
    {
        var header = new TcpHeader(47330, 80, 100, 200, TcpFlags.Ack, 502);
        byte[] frame = TestFrames.Tcp(header);
        Assert.Equal(54, frame.Length);
        byte[] padded = TestFrames.Padded(frame, TestFrames.MinimumFrameLength);

        var parsed = ParsedFrame.Parse(padded);
        Assert.Equal((Layer.Tcp, WireStatus.Ok), (parsed.Layer, parsed.Status));
        Assert.Equal(40, parsed.Ipv4!.TotalLength);
        Assert.Equal(20, parsed.Tcp!.Length);
        Assert.Empty(parsed.Payload);
        Assert.Equal(ChecksumVerdict.Valid, parsed.Tcp.Verdict);
    }

    private static TcpOptions WithSampleSackBlocks(TcpOptions options, int count)
    {
        for (uint i = 0; i < count; i++) options.AddSackBlock(new SackBlock(1000 * i + 1, 1000 * i + 500));
        return options;
    }
}
