using BenchmarkDotNet.Attributes;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Wire;

namespace UserTcp.Benchmarks.Wire;

/// <summary>
/// The transmit path for the most frequent frame a receiver sends: an ACK with timestamps and two SACK blocks,
/// written whole (Ethernet, IPv4, TCP, both checksums) into a preallocated frame buffer.
/// </summary>
[MemoryDiagnoser]
public class AckEmitBenchmarks
{
    // One ACK is tens of nanoseconds: repeat it so timer resolution and call overhead vanish from the per-frame figure.
    private const int FramesPerInvoke = 1000;

    private readonly byte[] _frame = new byte[FramePool.DefaultBufferSize];
    private EthernetHeader _ethernet;
    private Ipv4Header _ip;
    private TcpHeader _ack;

    [GlobalSetup]
    public void Setup()
    {
        _ethernet = WireFixtures.Ethernet;
        _ip = WireFixtures.Ip;
        _ack = WireFixtures.AckWithTwoSackBlocks();
    }

    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public int WriteAckWithTwoSackBlocks()
    {
        int written = 0;
        for (int i = 0; i < FramesPerInvoke; i++)
            written += FrameWriter.WriteTcp(_frame, _ethernet, _ip, _ack, payload: default);
        return written;
    }
}
