using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using UserTcp.Fast.Wire;

namespace UserTcp.Benchmarks.Wire;

/// <summary>The Internet checksum over a full TCP payload (1460 B, MSS on a 1500 MTU) and over a small packet (64 B).</summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class ChecksumBenchmarks
{
    // A 64-byte sum is a few nanoseconds: repeat it so timer resolution and call overhead vanish from the per-call figure.
    private const int SumsPerInvoke = 1000;

    private byte[] _data = null!;

    [Params(64, 1460)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup() => _data = WireFixtures.RandomBytes(Length);

    [Benchmark(OperationsPerInvoke = SumsPerInvoke)]
    public int Compute()
    {
        ReadOnlySpan<byte> data = _data;
        int folded = 0;
        for (int i = 0; i < SumsPerInvoke; i++)
            folded += InternetChecksum.Compute(data);
        return folded;
    }

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new ThroughputColumn(bytesParameter: nameof(Length)));
    }
}
