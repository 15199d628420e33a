using BenchmarkDotNet.Attributes;
using UserTcp.Fast.Tcp;

namespace UserTcp.Benchmarks.Tcp;

/// <summary>
/// Per-segment cost of the TCP engine. Receive: one in-order full-size segment in (parse, checksum verified, checks,
/// payload copied into the receive ring, ACK decision), the application's read (copy out), and the ACKs the batch
/// earned, sent as the loop sends them: mid-batch whenever the engine says an ACK cannot wait, then at the batch's end
/// (cumulative policy), or after every segment (naive). Send: 1448 bytes queued, one segment
/// built (payload copied, header and checksum), and an ACK from the peer every second segment.
/// </summary>
[MemoryDiagnoser]
public class TcpEngineBenchmarks
{
    private const int Batch = 32;
    private const int WarmUpInvocations = 64;
    private EnginePairFixture _cumulative = null!, _naive = null!, _sender = null!;
    private readonly byte[] _readBuffer = new byte[64 * 1024];
    private readonly byte[] _payload = new byte[EnginePairFixture.Mss];

    [GlobalSetup]
    public void Setup()
    {
        _cumulative = new EnginePairFixture(new TcpConfig { QuickAckSegments = 0 });
        _naive = new EnginePairFixture(new TcpConfig { QuickAckSegments = 0, AckPolicy = AckPolicy.Naive });
        _sender = new EnginePairFixture(new TcpConfig { QuickAckSegments = 0, NoDelay = true });
        // Buffers take 16 KiB chunks from the stack's pool as bytes land and hand them back once read or acknowledged: the
        // first invocations grow the pool to what a batch keeps in flight (counted as buffer growth in a live run, not as
        // per-packet work). A dry run's single warm-up invocation is not enough for that, so the fixtures warm up here.
        for (int i = 0; i < WarmUpInvocations; i++)
        {
            ReceiveSegment_CumulativeAckPerBatch();
            ReceiveSegment_NaiveAckPerSegment();
            SendSegment();
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int ReceiveSegment_CumulativeAckPerBatch()
    {
        for (int i = 0; i < Batch; i++)
            if (_cumulative.DeliverNextDataSegment()) _cumulative.FlushClient();
        _cumulative.FlushClient();
        return _cumulative.ClientConnection.Receive(_readBuffer);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int ReceiveSegment_NaiveAckPerSegment()
    {
        for (int i = 0; i < Batch; i++)
        {
            if (!_naive.DeliverNextDataSegment()) throw new InvalidOperationException("naive policy: every segment's ACK is due at once");
            _naive.FlushClient();
        }
        return _naive.ClientConnection.Receive(_readBuffer);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int SendSegment()
    {
        int sent = 0;
        for (int i = 0; i < Batch; i++)
        {
            _sender.ClientConnection.Send(_payload);
            sent += _sender.FlushClient();
            if ((i & 1) == 1) _sender.DeliverAckOfClientData();
        }
        return sent;
    }
}
