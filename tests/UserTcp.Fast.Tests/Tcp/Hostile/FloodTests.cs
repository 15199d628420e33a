using UserTcp.Fast.Buffers;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;
using Xunit.Abstractions;

namespace UserTcp.Fast.Tests.Tcp.Hostile;

/// <summary>
/// 100,000 segments on the virtual clock, straight into the stack (no harness on the path, so the thread's allocation
/// counter sees the stack alone): an ACK flood against a sending connection, segments for connections that do not exist,
/// and a SYN flood. What the stack sends back is rate-limited, its tables stay bounded, and it allocates nothing per
/// segment once warm.
/// </summary>
public sealed class FloodTests(ITestOutputHelper output)
{
    private const int Segments = 100_000;
    private static readonly TimeSpan Spacing = TimeSpan.FromMilliseconds(0.1); // 10,000 a second: 10 s of flood

    /// <summary>Counts what the stack sends, without keeping it.</summary>
    private struct CountingWriter(byte[] buffer) : ITcpSegmentWriter
    {
        public readonly bool TakesPayloadByReference => false;
        public readonly void Commit(int headerLength, int segmentSize, in SegmentPayload payload) => throw new NotSupportedException("payloads are copied into this writer's buffer");
        public int Segments, Resets, WithData;

        public readonly Span<byte> Begin(Ipv4Address source, Ipv4Address destination) => buffer;

        public void Commit(int segmentLength, int segmentSize)
        {
            if (segmentLength == 0) return;
            Expect.Equal(WireStatus.Ok, TcpSegment.TryParse(buffer.AsSpan(0, segmentLength), out var sent));
            Segments++;
            if ((sent.Flags & TcpFlags.Rst) != 0) Resets++;
            if (sent.Payload.Length > 0) WithData++;
        }
    }

    /// <summary>The segments, emitted once up front so that the flood itself builds nothing.</summary>
    private static byte[][] Emit(int count, Func<int, TcpHeader> make)
    {
        var frames = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            var header = make(i);
            frames[i] = new byte[header.Length];
            header.Emit(frames[i], EngineHarness.Remote, EngineHarness.Local);
        }
        return frames;
    }

    /// <summary>Delivers every frame, 0.1 ms apart, flushing every 64 (a receive batch); returns what was sent and the
    /// bytes the thread allocated after the first 10,000 (the warm-up).</summary>
    private static (CountingWriter Sent, long Allocated) Flood(EngineHarness h, byte[][] frames)
    {
        var writer = new CountingWriter(new byte[65536]);
        var now = h.Now;
        long warm = 0;
        for (int i = 0; i < frames.Length; i++)
        {
            if (i == 10_000) warm = GC.GetAllocatedBytesForCurrentThread();
            TcpSegment.TryParse(frames[i], out var segment);
            now += Spacing;
            h.Stack.OnTimers(now);
            h.Stack.OnSegment(EngineHarness.Remote, EngineHarness.Local, segment, now);
            if (i % 64 == 63) h.Stack.Flush(ref writer, now);
        }
        h.Stack.Flush(ref writer, now);
        return (writer, GC.GetAllocatedBytesForCurrentThread() - warm);
    }

    /// <summary>Nothing per segment: the stack allocated 0 bytes in every run alone; the bound leaves room for the
    /// runtime's own odd allocation on this thread beside the rest of the suite (seen once: SteadyStateAllocationTests'
    /// note), far below one byte per segment.</summary>
    private static void AssertNothingPerSegment(long allocated) =>
        Assert.True(allocated <= 8 << 10, $"{allocated} bytes allocated over {Segments - 10_000} segments after the warm-up");

    [Fact] // duplicate, old, unsent and out-of-window ACKs against a connection with data in flight
    public void Ack_flood_is_answered_at_the_rate_limit_and_allocates_nothing()
    {
        var h = new EngineHarness(new TcpConfig { ChallengeAcksPerSecond = 100 });
        var c = h.Establish(sack: false);
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(0), options: h.PeerTimestampOption()));
        Assert.Equal(64 << 10, c.Send(new byte[64 << 10]));
        h.Flush();
        long held = c.BufferBytesHeld;
        ushort port = c.Tuple.LocalPort;
        var stamp = new TcpOptions { Timestamps = new TcpTimestamps(h.PeerTimestamp, 0) };
        var frames = Emit(Segments, i => (i % 4) switch
        {
            0 => new TcpHeader(EngineHarness.RemotePort, port, h.PeerSeq(0), h.OurSeq(0), TcpFlags.Ack, 65535) { Options = stamp },            // duplicate
            1 => new TcpHeader(EngineHarness.RemotePort, port, h.PeerSeq(0), h.OurSeq(-50_000), TcpFlags.Ack, 65535) { Options = stamp },      // old
            2 => new TcpHeader(EngineHarness.RemotePort, port, h.PeerSeq(0), h.OurSeq((64 << 10) + 1 + i), TcpFlags.Ack, 65535) { Options = stamp }, // never sent (beyond all queued)
            _ => new TcpHeader(EngineHarness.RemotePort, port, h.PeerSeq(-1_000_000 - i), h.OurSeq(0), TcpFlags.Ack, 65535) { Options = stamp }, // out of window
        });
        var (sent, allocated) = Flood(h, frames);
        output.WriteLine($"{sent.Segments} segments sent ({sent.WithData} with data), {c.Stats.ChallengeAcksSent} challenge ACKs, " +
                         $"{c.Stats.AnswersRateLimited} answers rate-limited, {c.Stats.RetransmissionTimeouts} timeouts, " +
                         $"{c.Stats.FastRetransmits} fast retransmits, {allocated} bytes allocated");
        Assert.Equal(TcpState.Established, c.State);
        // Answers: 100 a second for the 11 seconds begun. Data: the duplicates may trigger a fast retransmit and, as RFC
        // 5681 §3.2 lets them inflate the window, send what the application queued; nothing is acknowledged by them.
        Assert.InRange(sent.Segments - sent.WithData, 1, 11 * 100);
        Assert.InRange(sent.WithData, 0, (64 << 10) / c.SendMss + 1 + c.Stats.Retransmissions);
        Assert.Equal(64 << 10, c.BytesUnacknowledged);
        Assert.True(c.BufferBytesHeld <= held);
        AssertNothingPerSegment(allocated);
    }

    [Fact] // RFC 9293 §3.10.7.1 answered with RSTs at ResetsPerSecond at most; nothing is created for any of them
    public void Segments_for_unknown_connections_get_rate_limited_resets_and_leave_nothing_behind()
    {
        var h = new EngineHarness(new TcpConfig { ResetsPerSecond = 500 });
        var frames = Emit(Segments, i => new TcpHeader((ushort)(1024 + i % 50_000), (ushort)(1 + i % 65_000), (uint)i * 2654435761u,
                                                        (uint)i * 40503u, (i % 3) switch { 0 => TcpFlags.Ack, 1 => TcpFlags.Ack | TcpFlags.Fin, _ => TcpFlags.Ack | TcpFlags.Psh }, 1000));
        var (sent, allocated) = Flood(h, frames);
        output.WriteLine($"{sent.Resets} RSTs sent, {h.Stack.Stats.ResetsRateLimited} rate-limited, {allocated} bytes allocated");
        Assert.Equal(sent.Segments, sent.Resets);
        // A full bucket (500) to start, then 500 a second for 10 s.
        Assert.InRange(sent.Resets, 5000, 500 + 10 * 500 + 1);
        Assert.Equal(Segments - sent.Resets, h.Stack.Stats.ResetsRateLimited + h.Stack.Stats.ResetsDropped);
        Assert.Equal(0, h.Stack.ConnectionCount);
        Assert.Equal(0, h.Stack.TimeWaitCount);
        Assert.Equal(0, h.Stack.SynRequestCount);
        AssertNothingPerSegment(allocated);
    }

    [Fact] // a SYN flood from 100,000 ports: the SYN queue stops at its bound, cookies answer the rest, no connection is made
    public void Syn_flood_fills_the_syn_queue_to_its_bound_then_costs_no_memory()
    {
        var h = new EngineHarness(new TcpConfig { MaxSynBacklog = 256 });
        h.Stack.Listen(8080);
        var frames = Emit(Segments, i => new TcpHeader((ushort)(1024 + i % 60_000), 8080, (uint)i * 2654435761u, 0, TcpFlags.Syn, 65535)
        {
            Options = new TcpOptions { MaximumSegmentSize = 1460 },
        });
        var (sent, allocated) = Flood(h, frames);
        output.WriteLine($"{sent.Segments} SYN-ACKs, {h.Stack.Stats.SynCookiesSent} with cookies, {h.Stack.SynRequestCount} requests held, {allocated} bytes allocated after the warm-up");
        Assert.InRange(h.Stack.SynRequestCount, 1, 256);
        Assert.Equal(0, h.Stack.ConnectionCount);
        Assert.True(h.Stack.Stats.SynCookiesSent > Segments / 2, $"{h.Stack.Stats.SynCookiesSent} cookies");
        AssertNothingPerSegment(allocated);
    }
}
