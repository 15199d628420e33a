using BenchmarkDotNet.Attributes;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Benchmarks.Interface;

/// <summary>
/// The neighbour cache on the per-packet paths: the lookup every sent frame makes, the refresh every received IPv4 frame
/// from a neighbour makes, and the earliest deadline the poll loop asks for every turn (a scan of all entries), with one
/// neighbour and with the cache full (256, the default size).
/// </summary>
[MemoryDiagnoser]
public class NeighborCacheBenchmarks
{
    private const int OperationsPerInvoke = 1000;
    private readonly Instant _now = Instant.FromMilliseconds(1000);
    private NeighborCache _cache = null!;
    private Ipv4Address _target;
    private MacAddress _targetMac;

    [Params(1, 256)]
    public int Neighbors { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var config = new InterfaceConfig { MacAddress = MacAddress.Parse("02:00:00:00:00:02"), Address = new Ipv4Address(198, 18, 0, 2), PrefixLength = 16 };
        _cache = new NeighborCache(config, new FramePool(config.ArpPendingPackets * 4, 1514));
        for (int i = 0; i < Neighbors; i++)
            _cache.Learn(new Ipv4Address(198, 18, (byte)(1 + i / 250), (byte)(1 + i % 250)), new MacAddress(0x0200_0000_1000UL + (ulong)i), _now, create: true,
                         gratuitous: false, new InterfaceStats());
        _target = new Ipv4Address(198, 18, (byte)(1 + (Neighbors - 1) / 250), (byte)(1 + (Neighbors - 1) % 250));
        if (_cache.Count != Neighbors || !_cache.TryGet(_target, out _targetMac)) throw new InvalidOperationException("the cache was not filled");
    }

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public ulong Lookup()
    {
        ulong found = 0;
        for (int i = 0; i < OperationsPerInvoke; i++)
            if (_cache.TryGet(_target, out var mac)) found += mac.Value;
        return found;
    }

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public int RefreshOnReceive()
    {
        for (int i = 0; i < OperationsPerInvoke; i++) _cache.Touch(_target, _targetMac, _now);
        return _cache.Count;
    }

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public long NextDeadline()
    {
        long sum = 0;
        for (int i = 0; i < OperationsPerInvoke; i++) sum += _cache.NextDeadline.Nanoseconds;
        return sum;
    }
}
