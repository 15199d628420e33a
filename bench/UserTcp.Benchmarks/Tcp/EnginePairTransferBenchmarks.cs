using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Testbed.Simulation;

namespace UserTcp.Benchmarks.Tcp;

/// <summary>
/// An engine pair over the simulated link, no faults: one established connection, reused; each operation moves
/// <see cref="Length"/> bytes from server to client (payload GB/s in the Throughput column). Data is neither filled nor
/// checked (VerifyData = false), so the stack is what is measured: both engines, framing, checksums and the link.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class EnginePairTransferBenchmarks
{
    private EnginePair _pair = null!;

    [Params(64 << 20)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var link = LinkProfile.Perfect with { Delay = TimeSpan.FromMicroseconds(50) };
        _pair = new EnginePair(new TransferScenario { Seed = 1, ClientToServer = link, ServerToClient = link, VerifyData = false });
        _pair.Start();
        // Connected, and past the one-off first-use costs of the first transfers (measured: the second still allocates ~2 KB once).
        for (int i = 0; i < 3; i++)
            if (_pair.Transfer(0, Length) is { } failure) throw new InvalidOperationException(failure);
    }

    [Benchmark]
    public string? TransferFromServer() => _pair.Transfer(0, Length);

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new ThroughputColumn(bytesParameter: nameof(Length)));
    }
}
