using BenchmarkDotNet.Attributes;
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
