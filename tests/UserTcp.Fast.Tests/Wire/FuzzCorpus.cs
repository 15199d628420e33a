using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>Seeded hostile inputs for the parsers, and the checks every parse of them must pass.</summary>
internal static class FuzzCorpus
{
    public const int MaxRandomLength = 1600;

    /// <summary>Random bytes of random length 0..1600.</summary>
    public static byte[] RandomBuffer(Random random) => random.NextBytes(random.Next(MaxRandomLength + 1));

    /// <summary>
    /// A valid frame with 1..8 random bytes changed, mostly in the first 80 (where the headers are). Half the time the
    /// IPv4 header checksum is then recomputed, so the damage reaches the transport parsers instead of stopping at IPv4.
    /// </summary>
    public static byte[] MutatedFrame(Random random)
    {
        string[] names = [.. TestFrames.ValidFrameNames];
        byte[] frame = TestFrames.Valid(names[random.Next(names.Length)]);
        for (int flips = random.Next(1, 9); flips > 0; flips--)
            frame[random.Next(random.Next(4) == 0 ? frame.Length : Math.Min(frame.Length, 80))] = random.NextByte();
        if (random.NextBool() && EthernetFrame.TryParse(frame, out var ethernet) == WireStatus.Ok && ethernet.Payload.Length >= Ipv4Packet.MinHeaderLength)
            TestFrames.RefreshIpv4Checksum(frame.AsSpan(ethernet.Length));
        return frame;
    }

    /// <summary>
    /// Runs <paramref name="bytes"/> through every parser entry point (see <see cref="ParsedFrame.ParseAsEveryLayer"/>),
    /// asserting that nothing throws and that whatever parses is self-consistent; a TCP header that parses must also
    /// re-emit and parse back to the same known options.
    /// </summary>
    public static void CheckEveryLayer(ReadOnlySpan<byte> bytes)
    {
        var (parses, optionsStatus) = ParsedFrame.ParseAsEveryLayer(bytes, TestFrames.HostIp, TestFrames.ServerIp);
        foreach (var parsed in parses) AssertConsistent(parsed, bytes.Length);
        Assert.True(optionsStatus is WireStatus.Ok or WireStatus.BadOption, $"TCP options: {optionsStatus}");
    }

    public static void AssertConsistent(ParsedFrame parsed, int bufferLength)
    {
        if (parsed.Status != WireStatus.Ok)
        {
            Assert.Empty(parsed.Payload);
            return;
        }
        Assert.True(parsed.Payload.Length <= bufferLength);
        if (parsed.Ethernet is { } ethernet)
        {
            Assert.Equal(ethernet.HasVlanTag ? 18 : 14, ethernet.Length);
            Assert.True((ushort)ethernet.Header.EtherType >= 0x0600);
        }
        if (parsed.Ipv4 is { } ip)
        {
            Assert.InRange(ip.HeaderLength, Ipv4Packet.MinHeaderLength, Ipv4Packet.MaxHeaderLength);
            Assert.InRange(ip.TotalLength, ip.HeaderLength, bufferLength);
            Assert.Equal(ip.HeaderLength - Ipv4Packet.MinHeaderLength, ip.Options.Length);
        }
        if (parsed.Tcp is { } tcp)
        {
            Assert.InRange(tcp.HeaderLength, TcpSegment.MinHeaderLength, TcpSegment.MaxHeaderLength);
            Assert.Equal(tcp.Length - tcp.HeaderLength, parsed.Payload.Length);
            Assert.InRange(tcp.SackBlocks.Length, 0, TcpOptions.MaxSackBlocks);
            AssertReEmits(tcp.Header);
        }
        if (parsed.Udp is { } udp)
            Assert.Equal(udp.Length - UdpDatagram.HeaderLength, parsed.Payload.Length);
        if (parsed.Arp is { } arp)
            Assert.True(arp.Operation is ArpOperation.Request or ArpOperation.Reply);
    }

    private static void AssertReEmits(TcpHeader header)
    {
        var segment = new byte[header.Length];
        Assert.Equal(header.Length, header.Emit(segment, TestFrames.HostIp, TestFrames.ServerIp));
        Assert.Equal(WireStatus.Ok, TcpSegment.TryParse(segment, out var again));
        WireAssert.Equal(header.Options.WithoutUnknownCount().AsEmitted(), again.Options);
    }
}
