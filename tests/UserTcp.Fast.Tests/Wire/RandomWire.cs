using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Wire;

/// <summary>Random field values and headers for round-trip, differential and fuzz tests.</summary>
internal static class RandomWire
{
    public static bool NextBool(this Random random) => random.Next(2) == 0;
    public static byte NextByte(this Random random) => (byte)random.Next(0x100);
    public static ushort NextUInt16(this Random random) => (ushort)random.Next(0x10000);
    public static uint NextUInt32(this Random random) => (uint)random.NextInt64(0x1_0000_0000);
    public static MacAddress NextMac(this Random random) => new((ulong)random.NextInt64(1L << 48));
    public static Ipv4Address NextIpv4(this Random random) => new(random.NextUInt32());
    public static TcpFlags NextTcpFlags(this Random random) => (TcpFlags)random.Next(0x200);

    public static byte[] NextBytes(this Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Each option present or not at random, with 0..4 SACK blocks.</summary>
    public static TcpOptions NextTcpOptions(this Random random)
    {
        var options = new TcpOptions
        {
            MaximumSegmentSize = random.NextBool() ? random.NextUInt16() : null,
            WindowScale = random.NextBool() ? random.NextByte() : null,
            SackPermitted = random.NextBool(),
            Timestamps = random.NextBool() ? new TcpTimestamps(random.NextUInt32(), random.NextUInt32()) : null,
        };
        for (int blocks = random.Next(TcpOptions.MaxSackBlocks + 1); blocks > 0; blocks--)
            options.AddSackBlock(new SackBlock(random.NextUInt32(), random.NextUInt32()));
        return options;
    }

    public static TcpHeader NextTcpHeader(this Random random) =>
        new(random.NextUInt16(), random.NextUInt16(), random.NextUInt32(), random.NextUInt32(), random.NextTcpFlags(), random.NextUInt16())
        {
            UrgentPointer = random.NextUInt16(),
            Options = random.NextTcpOptions(),
        };

    /// <summary>A header with random fields; with <paramref name="fragment"/> false it describes a whole datagram.</summary>
    public static Ipv4Header NextIpv4Header(this Random random, IpProtocol protocol, bool fragment = false) =>
        new(random.NextIpv4(), random.NextIpv4(), protocol, random.NextByte(), random.NextUInt16(), random.NextBool(), random.NextByte())
        {
            MoreFragments = fragment && random.NextBool(),
            FragmentOffset = fragment ? random.Next(0x2000) * 8 : 0,
        };
}
