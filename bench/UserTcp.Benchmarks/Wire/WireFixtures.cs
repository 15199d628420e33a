using UserTcp.Fast.Wire;

namespace UserTcp.Benchmarks.Wire;

/// <summary>
/// The frames and header values every wire benchmark works on, built in one place so the benchmarks measure the
/// same traffic: a Linux-style bulk data segment and the ACK that answers it.
/// </summary>
internal static class WireFixtures
{
    /// <summary>A full-size Ethernet frame: 14 Ethernet + 20 IPv4 + 32 TCP (timestamps) + 1448 payload.</summary>
    public const int DataFrameLength = 1514;
    /// <summary>What Linux puts in a data segment on a 1500-byte MTU path once timestamps take 12 option bytes.</summary>
    public const int DataPayloadLength = 1448;

    public static readonly EthernetHeader Ethernet =
        new(MacAddress.Parse("02:00:00:00:00:02"), MacAddress.Parse("02:00:00:00:00:01"), EtherType.Ipv4);

    public static readonly Ipv4Header Ip =
        new(Ipv4Address.Parse("198.18.0.1"), Ipv4Address.Parse("198.18.0.2"), IpProtocol.Tcp, Identification: 0x1c46);

    private const ushort LocalPort = 40_000, RemotePort = 5201;
    private const uint Sequence = 0x1000_0000, Acknowledgment = 0x2000_0000;
    private static readonly TcpTimestamps Timestamps = new(Value: 0x0a0b_0c0d, EchoReply: 0x0102_0304);

    /// <summary>The TCP header of a bulk data segment: ACK|PSH with the timestamps option (nop, nop, TS).</summary>
    public static TcpHeader DataSegmentHeader() =>
        new(LocalPort, RemotePort, Sequence, Acknowledgment, TcpFlags.Ack | TcpFlags.Psh, Window: 502)
        {
            Options = new TcpOptions { Timestamps = Timestamps },
        };

    /// <summary>A pure ACK reporting two holes: timestamps plus two SACK blocks (a 52-byte TCP header, an 86-byte frame).</summary>
    public static TcpHeader AckWithTwoSackBlocks()
    {
        var options = new TcpOptions { Timestamps = Timestamps };
        options.AddSackBlock(new SackBlock(Acknowledgment + 2 * DataPayloadLength, Acknowledgment + 4 * DataPayloadLength));
        options.AddSackBlock(new SackBlock(Acknowledgment + 6 * DataPayloadLength, Acknowledgment + 7 * DataPayloadLength));
        return new TcpHeader(RemotePort, LocalPort, Acknowledgment, Sequence, TcpFlags.Ack, Window: 1024) { Options = options };
    }

    /// <summary>A valid 1514-byte data frame (checksums correct), written by the library's own <see cref="FrameWriter"/>.</summary>
    public static byte[] CreateDataFrame()
    {
        var frame = new byte[DataFrameLength];
        int length = FrameWriter.WriteTcp(frame, Ethernet, Ip, DataSegmentHeader(), RandomBytes(DataPayloadLength));
        if (length != DataFrameLength)
            throw new InvalidOperationException($"Fixture data frame is {length} bytes, expected {DataFrameLength}.");
        return frame;
    }

    /// <summary>Deterministic pseudo-random bytes, so runs checksum the same data.</summary>
    public static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(Seed: 1071).NextBytes(bytes);
        return bytes;
    }
}
