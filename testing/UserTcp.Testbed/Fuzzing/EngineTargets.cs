using System.Buffers.Binary;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Testbed.Fuzzing;

/// <summary>
/// The engine under fuzzed input. Each input first drives a fresh <see cref="EngineHarness"/> to the TCP state its first
/// byte picks (<see cref="ConnectionStates"/>), then feeds the rest, and checks <see cref="ConnectionInvariants"/> after
/// every step. Each returns its harness, so that tests can see where an input led.
/// </summary>
internal static class EngineTargets
{
    public static readonly MacAddress LocalMac = new(0x02_00_00_00_00_02), PeerMac = new(0x02_00_00_00_00_01);

    /// <summary>The record of <see cref="Segments"/>: an action byte, then a big-endian length, then that many bytes.</summary>
    public const int RecordHeaderLength = 3;

    /// <summary>
    /// frame: byte 0 picks the state, the rest is one Ethernet frame for the interface (checksums not verified: the
    /// policy of an offloading link, so the fuzzer reaches TCP; the IPv4 header checksum is fixed up for the same reason).
    /// Then the timers run three times over, with invariants checked after each step.
    /// </summary>
    public static EngineHarness Frame(ReadOnlySpan<byte> input)
    {
        var state = StateOf(FirstByteOf(input));
        var harness = new EngineHarness();
        ConnectionStates.DriveTo(harness, state);
        var invariants = new ConnectionInvariants();
        invariants.Check(harness.Stack);
        var config = new InterfaceConfig
        {
            MacAddress = LocalMac, Address = EngineHarness.Local, PrefixLength = 24, Checksums = ChecksumPolicy.Off,
        };
        var nic = new NetworkInterface(config, harness.Stack, new DiscardOutput());
        nic.AddStaticNeighbor(EngineHarness.Remote, PeerMac);
        var frame = input.IsEmpty ? [] : input[1..].ToArray();
        FixIpv4HeaderChecksum(frame);
        nic.OnFrame(frame, harness.Now);
        nic.Flush(harness.Now);
        invariants.Check(harness.Stack);
        for (int i = 0; i < 3 && !nic.NextDeadline.IsNever; i++)
        {
            harness.Advance(nic.NextDeadline - harness.Now + TimeSpan.FromTicks(1)); // Instant - Instant rounds down to ticks
            nic.OnTimers(harness.Now);
            nic.Flush(harness.Now);
            invariants.Check(harness.Stack);
        }
        return harness;
    }

    /// <summary>
    /// segments: byte 0 picks the state; then records of an action byte, a 16-bit length and a TCP segment (header and
    /// payload, ports overwritten to the connection's so that every segment reaches it). The action byte's low two bits
    /// are an application call before the segment (none, read everything, write 3000 bytes, close); its upper six bits
    /// advance the clock by that many 10 ms steps, running the timers. Invariants after every record.
    /// </summary>
    public static EngineHarness Segments(ReadOnlySpan<byte> input)
    {
        var state = StateOf(FirstByteOf(input));
        var harness = new EngineHarness();
        var driven = ConnectionStates.DriveTo(harness, state);
        var invariants = new ConnectionInvariants();
        invariants.Check(harness.Stack);
        var rest = input.IsEmpty ? input : input[1..];
        var scratch = new byte[ushort.MaxValue];
        while (rest.Length >= RecordHeaderLength)
        {
            byte action = rest[0];
            int length = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(rest[1..]), rest.Length - RecordHeaderLength);
            var bytes = rest.Slice(RecordHeaderLength, length);
            rest = rest[(RecordHeaderLength + length)..];

            if (action >> 2 != 0)
            {
                harness.Advance(TimeSpan.FromMilliseconds(10 * (action >> 2)));
                harness.Flush();
                invariants.Check(harness.Stack);
            }
            Application(harness, action & 3, scratch);
            harness.Flush();
            invariants.Check(harness.Stack);

            var segmentBytes = scratch.AsSpan(0, length);
            bytes.CopyTo(segmentBytes);
            if (length >= 4)
            {
                BinaryPrimitives.WriteUInt16BigEndian(segmentBytes, driven.PeerPort);
                BinaryPrimitives.WriteUInt16BigEndian(segmentBytes[2..], driven.LocalPort);
            }
            if (TcpSegment.TryParse(segmentBytes, out var segment) != WireStatus.Ok) continue;
            harness.Stack.OnSegment(EngineHarness.Remote, EngineHarness.Local, segment, harness.Now);
            invariants.Check(harness.Stack);
            harness.Flush();
            invariants.Check(harness.Stack);
        }
        return harness;
    }

    /// <summary>What the application does between segments, on every connection (a passive open's accepted one too).</summary>
    private static void Application(EngineHarness harness, int call, byte[] scratch)
    {
        if (call == 0) return;
        foreach (var connection in harness.Stack.Connections.ToList())
        {
            switch (call)
            {
                case 1:
                    while (connection.Receive(scratch) > 0) { }
                    break;
                case 2:
                    if (connection.SendSpace > 0) connection.Send(scratch.AsSpan(0, 3000));
                    break;
                default:
                    connection.Close();
                    break;
            }
        }
    }

    /// <summary>
    /// An empty input is the first state with nothing fed, not a return before any library code: SharpFuzz's first run
    /// reads stdin once afl-fuzz's fork server is up, which can be before afl-fuzz has written the first seed, and a run
    /// that reaches no instrumented branch makes afl-fuzz abort with "No instrumentation detected".
    /// </summary>
    private static byte FirstByteOf(ReadOnlySpan<byte> input) => input.IsEmpty ? (byte)0 : input[0];

    public static TcpState StateOf(byte selector) => ConnectionStates.Reachable[selector % ConnectionStates.Reachable.Length];

    /// <summary>Writes a valid IPv4 header checksum into an Ethernet + IPv4 frame, when it is one.</summary>
    private static void FixIpv4HeaderChecksum(Span<byte> frame)
    {
        if (frame.Length < EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength
            || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != (ushort)EtherType.Ipv4) return;
        var ip = frame[EthernetFrame.HeaderLength..];
        int headerLength = (ip[0] & 0xF) * 4;
        if (headerLength < Ipv4Packet.MinHeaderLength || headerLength > ip.Length) return;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..headerLength]));
    }

    private sealed class DiscardOutput : IFrameOutput
    {
        public void Transmit(ReadOnlySpan<byte> frame) { }
    }
}
