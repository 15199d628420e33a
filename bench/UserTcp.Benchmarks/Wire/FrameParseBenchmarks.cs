using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using UserTcp.Fast.Wire;

namespace UserTcp.Benchmarks.Wire;

/// <summary>
/// The receive path for one full-size TCP data frame: validate Ethernet, IPv4 (with its header checksum) and TCP
/// (with its options), then read what the engine needs to find the connection and process the segment.
/// </summary>
[MemoryDiagnoser]
public class FrameParseBenchmarks
{
    // One parse is a few nanoseconds: repeat it so timer resolution and call overhead vanish from the per-frame figure.
    private const int FramesPerInvoke = 1000;

    private byte[] _frame = null!;

    [GlobalSetup]
    public void Setup()
    {
        _frame = WireFixtures.CreateDataFrame();
        // A digest of 0 means some layer rejected the frame: refuse to time the error path.
        if (ParseDataFrame(_frame, verifyTcpChecksum: true) == 0)
            throw new InvalidOperationException("The fixture data frame does not parse and verify.");
    }

    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public ulong HeadersOnly() => ParseRepeatedly(verifyTcpChecksum: false);

    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public ulong HeadersAndTcpChecksum() => ParseRepeatedly(verifyTcpChecksum: true);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong ParseRepeatedly(bool verifyTcpChecksum)
    {
        ReadOnlySpan<byte> frame = _frame;
        ulong digest = 0;
        for (int i = 0; i < FramesPerInvoke; i++)
            digest += ParseDataFrame(frame, verifyTcpChecksum);
        return digest;
    }

    /// <summary>
    /// Parses and validates the frame and folds every field the engine reads into one number, so none of the work
    /// can be dropped as dead code. Returns 0 when any layer rejects the frame.
    /// </summary>
    /// <remarks>Not inlined into the loop: like an engine's receive function it is a call per frame, and it gets its
    /// own JIT inlining budget instead of sharing (and exhausting) the benchmark method's.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong ParseDataFrame(ReadOnlySpan<byte> frame, bool verifyTcpChecksum)
    {
        if (EthernetFrame.TryParse(frame, out var ethernet) != WireStatus.Ok || ethernet.EtherType != EtherType.Ipv4) return 0;
        if (Ipv4Packet.TryParse(ethernet.Payload, out var ip) != WireStatus.Ok || ip.Protocol != IpProtocol.Tcp || ip.IsFragment) return 0;
        if (TcpSegment.TryParse(ip.Payload, out var tcp) != WireStatus.Ok) return 0;
        if (verifyTcpChecksum && tcp.VerifyChecksum(ip.Source, ip.Destination) != ChecksumVerdict.Valid) return 0;

        // Connection lookup key, then the fields segment processing consumes (RFC 9293 §3.10.7.4, RFC 7323 §4.3).
        ulong connection = (ulong)ip.Source.Value << 32 ^ ip.Destination.Value ^ (uint)tcp.SourcePort << 16 ^ tcp.DestinationPort;
        ref readonly var options = ref tcp.Options;
        uint timestamps = options.Timestamps is { } ts ? ts.Value ^ ts.EchoReply : 0;
        uint control = tcp.SequenceNumber ^ tcp.AcknowledgmentNumber ^ (uint)tcp.Flags ^ tcp.Window ^ timestamps
                       ^ (uint)options.SackBlockCount ^ (uint)tcp.Payload.Length;
        return connection + control;
    }
}
