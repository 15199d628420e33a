using BenchmarkDotNet.Attributes;
using UserTcp.Fast.Buffers;

namespace UserTcp.Benchmarks.Buffers;

/// <summary>
/// A connection's receive buffer in the steady state, both roles on one thread: the poll thread places 1448-byte
/// segments (the receive path's one copy out of the capture ring), the application reads them out in 16 KiB reads (the
/// second and last copy, into its own buffer), and the chunks read go back to the pool. Per segment: both copies, the
/// positions' release/acquire and the notify handshake's fence. [MemoryDiagnoser]: 0 B, chunks come from the pool.
/// </summary>
[MemoryDiagnoser]
public class ChunkedByteBufferBenchmarks
{
    private const int Segment = 1448;
    private const int SegmentsPerInvoke = 1024;

    private readonly byte[] _segment = new byte[Segment];
    private readonly byte[] _destination = new byte[16 << 10];
    private ChunkedByteBuffer _buffer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _buffer = new ChunkedByteBuffer(new ChunkPool(), 4 << 20, 4 << 20);
        PlaceAndRead(); // the pool holds the chunks from now on
    }

    [Benchmark(OperationsPerInvoke = SegmentsPerInvoke)]
    public int PlaceAndRead()
    {
        int read = 0;
        for (int i = 0; i < SegmentsPerInvoke; i++)
        {
            _buffer.WriteAt(0, _segment);
            _buffer.Commit(Segment);
            if (_buffer.Count >= _destination.Length)
            {
                read += _buffer.Read(_destination, out _);
                _buffer.Reclaim();
            }
        }
        while (_buffer.Count > 0) read += _buffer.Read(_destination, out _);
        _buffer.Reclaim();
        return read;
    }
}
