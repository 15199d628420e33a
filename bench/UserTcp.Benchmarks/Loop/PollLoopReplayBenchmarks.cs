using BenchmarkDotNet.Attributes;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;

namespace UserTcp.Benchmarks.Loop;

/// <summary>
/// The whole receive path per frame, as the poll loop runs it: <see cref="PollLoop.Turn"/> over a device replaying a real
/// Linux download (<see cref="RecordedConnection"/>) into the established connection it was recorded on: Ethernet,
/// IPv4 and TCP parsed and checksums verified, the payload copied into the receive buffer, the application's read (copy
/// out) in the turn, and the ACKs the policy sends written to the device. One operation is one replayed frame; an
/// invocation is one pass over the recording's data frames, in one turn (the loop's batch holds them all).
/// </summary>
[MemoryDiagnoser]
public class PollLoopReplayBenchmarks
{
    /// <summary>The recording's data frames (22 of 1448 bytes and a last one of 1154), checked in setup.</summary>
    private const int FramesPerPass = 23;

    private ReplayDevice _device = null!;
    private PollLoop _loop = null!;
    private TcpConnection _connection = null!;
    private readonly byte[] _application = new byte[128 * 1024];
    private Instant _now = Instant.FromMilliseconds(1000);
    private long _delivered;

    [Params(AckPolicy.Cumulative, AckPolicy.Naive)]
    public AckPolicy Policy { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var recording = RecordedConnection.Load();
        if (recording.Data.Count != FramesPerPass)
            throw new InvalidOperationException($"the recording has {recording.Data.Count} data frames, the benchmark counts {FramesPerPass}");
        _device = new ReplayDevice(recording.ClientMac, recording);
        // The recorded client's ISN, so that the recorded server's acknowledgment numbers are ours; no quick-ACKs, so that
        // the cumulative policy's steady state (an ACK per MaxSegmentsPerAck segments of the batch and one at its end) is
        // measured from the first pass.
        var config = new TcpConfig { AckPolicy = Policy, QuickAckSegments = 0 };
        var tcp = new TcpStack(config, new FixedInitialSequenceNumbers(new SeqNum(recording.ClientIsn)), seed: 1);
        var nic = new NetworkInterface(new InterfaceConfig
        {
            MacAddress = recording.ClientMac, Address = recording.Client, PrefixLength = 24, Checksums = ChecksumPolicy.Verify,
        }, tcp, new DeviceOutput(_device));
        nic.AddStaticNeighbor(recording.Server, recording.ServerMac);
        _loop = new PollLoop(_device, nic) { OnTurn = _ => Read() };
        _connection = tcp.Connect(recording.Client, recording.Server, recording.ServerPort, _now);
        recording.RetargetTo(_connection.Tuple.LocalPort);
        Turn(); // the SYN
        _device.Enqueue(recording.SynAck);
        Turn();
        if (_connection.State != TcpState.Established) throw new InvalidOperationException($"the recorded SYN-ACK left the connection {_connection.State}");
        if (_connection.Send(recording.Request) != recording.Request.Length) throw new InvalidOperationException("the request did not fit");
        Turn(); // the request the recorded data acknowledges
        // The first pass acknowledges the request; from the second on every pass takes the same path, with sequence numbers
        // moved on: both must deliver every byte as new, in-order data.
        ReplayCapture();
        long sentBefore = _device.Stats.FramesSent;
        ReplayCapture();
        long acks = _device.Stats.FramesSent - sentBefore;
        long expected = Policy == AckPolicy.Naive ? FramesPerPass : (FramesPerPass + config.MaxSegmentsPerAck - 1) / config.MaxSegmentsPerAck;
        if (acks != expected) throw new InvalidOperationException($"a pass under the {Policy} policy sent {acks} ACKs, not {expected}");
        var stats = _connection.Stats;
        if (_delivered != 2L * recording.DataBytes || stats.UnacceptableSegments + stats.DuplicateSegments + stats.OutOfOrderSegments + nic.Stats.TotalDrops != 0)
            throw new InvalidOperationException($"the replay did not feed the connection: {_delivered} of {2 * recording.DataBytes} bytes, " +
                                                $"{stats.UnacceptableSegments} unacceptable, {stats.DuplicateSegments} duplicate, {stats.OutOfOrderSegments} out of order, {nic.Stats.TotalDrops} frames dropped");
    }

    [Benchmark(OperationsPerInvoke = FramesPerPass)]
    public long ReplayCapture()
    {
        _device.StartPass();
        while (!_device.PassDone) Turn();
        return _delivered;
    }

    private void Turn()
    {
        _now += TimeSpan.FromMicroseconds(100);
        _device.Now = _now;
        _loop.Turn(_now);
    }

    private void Read()
    {
        int n;
        while ((n = _connection.Receive(_application)) > 0) _delivered += n;
    }
}
