using BenchmarkDotNet.Attributes;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Benchmarks.Interface;

/// <summary>
/// ARP through <see cref="NetworkInterface.OnFrame"/>, frame in to frame out: a request for our address (parse, the
/// sender's entry refreshed, the reply written whole and handed to the output) and a reply from a known neighbour (parse,
/// entry refreshed, nothing sent).
/// </summary>
[MemoryDiagnoser]
public class ArpBenchmarks
{
    private const int FramesPerInvoke = 1000;
    private static readonly MacAddress OurMac = MacAddress.Parse("02:00:00:00:00:02"), PeerMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly Ipv4Address Ours = new(198, 18, 0, 2), Peer = new(198, 18, 0, 1);
    private readonly Instant _now = Instant.FromMilliseconds(1000);
    private readonly CountingOutput _output = new();
    private NetworkInterface _nic = null!;
    private byte[] _request = null!, _reply = null!;

    [GlobalSetup]
    public void Setup()
    {
        _nic = new NetworkInterface(new InterfaceConfig { MacAddress = OurMac, Address = Ours, PrefixLength = 24 },
                                    new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 1), _output);
        _request = Arp(ArpOperation.Request, MacAddress.Broadcast, MacAddress.Zero);
        _reply = Arp(ArpOperation.Reply, OurMac, OurMac);
        _nic.OnFrame(_request, _now); // the peer is known from here on, as it is after the first request
        if (!_nic.IsResolved(Peer) || _output.Frames != 1) throw new InvalidOperationException("the request was not answered");
    }

    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public long AnswerRequest()
    {
        for (int i = 0; i < FramesPerInvoke; i++) _nic.OnFrame(_request, _now);
        return _output.Frames;
    }

    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public long LearnFromReply()
    {
        for (int i = 0; i < FramesPerInvoke; i++) _nic.OnFrame(_reply, _now);
        return _nic.Stats.ArpRepliesReceived;
    }

    /// <summary>The peer's ARP message about itself, to our address (a 60-byte frame, padded as on the wire).</summary>
    private static byte[] Arp(ArpOperation operation, MacAddress destination, MacAddress targetMac)
    {
        var frame = new byte[60];
        FrameWriter.WriteArp(frame, new EthernetHeader(destination, PeerMac, EtherType.Arp), new ArpMessage(operation, PeerMac, Peer, targetMac, Ours));
        return frame;
    }

    /// <summary>Counts what the interface sends and keeps nothing.</summary>
    private sealed class CountingOutput : IFrameOutput
    {
        public long Frames;
        public void Transmit(ReadOnlySpan<byte> frame) => Frames++;
    }
}

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
            _cache.Learn(new Ipv4Address(198, 18, (byte)(1 + i / 250), (byte)(1 + i % 250)), new MacAddress(0x0200_0000_1000UL + (ulong)i), _now, create: true);
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
