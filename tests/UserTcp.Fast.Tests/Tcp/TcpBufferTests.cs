using UserTcp.Fast.Buffers;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;
using Xunit.Abstractions;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>
/// Buffers that follow need: the receive space starts small and grows with what the application reads per round trip
/// (Linux tcp_rcv_space_adjust), the send room with the congestion window (tcp_sndbuf_expand), memory is what is
/// buffered, and a reader on its own thread still makes window updates and pushed ACKs leave at once.
/// </summary>
public sealed class TcpBufferTests(ITestOutputHelper output)
{
    private const int Mss = 1448;
    private static readonly TimeSpan RoundTrip = TimeSpan.FromMilliseconds(1); // the harness's handshake

    private static void DeliverData(EngineHarness h, int offset, int length = Mss, TcpFlags flags = TcpFlags.Ack)
    {
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(offset), h.OurSeq(0), flags, options: h.PeerTimestampOption()), new byte[length]);
    }

    /// <summary>A sender that fills whatever window we offer every round trip, and an application that reads it all.</summary>
    private static List<int> ReceiveSpacePerRoundTrip(EngineHarness h, TcpConnection c, int roundTrips, bool read) =>
        ReceiveSpacePerRoundTrip(h, c, roundTrips, read, out _);

    private static List<int> ReceiveSpacePerRoundTrip(EngineHarness h, TcpConnection c, int roundTrips, bool read, out long largestWindow)
    {
        largestWindow = 0;
        var spaces = new List<int>();
        var sink = new byte[8 << 20];
        int offset = 0, window = c.ReceiveSpace;
        for (int i = 0; i < roundTrips; i++)
        {
            int end = offset + Math.Min(window, 2 * Math.Max(10 * Mss, window / 2)) / Mss * Mss; // slow start: twice the last
            for (; offset < end; offset += Mss) DeliverData(h, offset);
            if (read) c.Receive(sink);
            foreach (var ack in h.Flush()) largestWindow = Math.Max(largestWindow, (long)ack.Window << 7);
            window = c.ReceiveSpace - c.BytesAvailable; // what the last ACK offered, near enough
            h.Advance(RoundTrip + TimeSpan.FromMicroseconds(100));
            spaces.Add(c.ReceiveSpace);
        }
        return spaces;
    }

    [Fact] // Linux tcp_rcv_space_adjust: small first, then twice what was read per RTT and more while the sender grows
    public void The_receive_space_grows_with_what_the_application_reads_and_never_shrinks()
    {
        var h = new EngineHarness(new TcpConfig { ReceiveBufferSize = 1 << 20 });
        var c = h.Establish();
        Assert.Equal(128 << 10, c.ReceiveSpace);
        var spaces = ReceiveSpacePerRoundTrip(h, c, 12, read: true, out long largestWindow);
        Assert.True(spaces.Zip(spaces.Skip(1)).All(p => p.Second >= p.First), string.Join(", ", spaces));
        Assert.True(spaces[^1] > 128 << 10, string.Join(", ", spaces));
        Assert.Equal(1 << 20, spaces[^1]); // capped by ReceiveBufferSize, the maximum
        Assert.True(largestWindow > 512 << 10, $"largest window offered {largestWindow}"); // the scale chosen at SYN time covers it
    }

    [Fact] // nothing read, nothing learned: a connection whose application does not read keeps its first space
    public void The_receive_space_stays_small_while_the_application_does_not_read()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        var spaces = ReceiveSpacePerRoundTrip(h, c, 6, read: false);
        Assert.All(spaces, space => Assert.Equal(128 << 10, space));
    }

    [Fact] // Linux tcp_sndbuf_expand: room for about twice the congestion window, up to SendBufferSize
    public void The_send_room_grows_with_the_congestion_window()
    {
        var h = new EngineHarness(new TcpConfig { SendBufferSize = 1 << 20 });
        var c = h.Establish();
        Assert.Equal(64 << 10, c.SendSpace);
        int sent = 0;
        for (int round = 0; round < 10; round++)
        {
            sent += c.Send(new byte[c.SendSpace]);
            int inFlight = h.Flush().Sum(s => s.Payload.Length);
            Assert.True(inFlight > 0);
            h.Advance(RoundTrip);
            h.PeerTimestamp++;
            h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq((int)c.Stats.BytesSent), options: h.PeerTimestampOption()));
            Assert.True(c.SendBufferLimit >= Math.Min(2 * c.CongestionWindow, 1 << 20), $"round {round}: room {c.SendBufferLimit}, cwnd {c.CongestionWindow}");
        }
        Assert.Equal(1 << 20, c.SendBufferLimit);
        Assert.True(sent > 1 << 20);
    }

    [Fact] // memory is what is buffered: none after the handshake, chunks while data waits, none once it is read or acknowledged
    public void Buffer_memory_follows_what_is_buffered_and_is_released_when_the_connection_ends()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        Assert.Equal(0, c.BufferBytesHeld);

        for (int i = 0; i < 40; i++) DeliverData(h, i * Mss); // 56 KiB waiting: four chunks
        Assert.Equal(4 * ChunkPool.ChunkSize, c.BufferBytesHeld);
        c.Receive(new byte[1 << 20]);
        Assert.Equal(0, c.BufferBytesHeld);

        c.Send(new byte[40_000]);
        Assert.Equal(3 * ChunkPool.ChunkSize, c.BufferBytesHeld);
        while (c.BytesUnacknowledged > 0)
        {
            h.Flush();
            h.PeerTimestamp++;
            h.Deliver(h.Peer(h.PeerSeq(40 * Mss), h.OurSeq((int)c.Stats.BytesSent), options: h.PeerTimestampOption()));
            Assert.True(c.BufferBytesHeld <= 3 * ChunkPool.ChunkSize);
        }
        Assert.Equal(0, c.BufferBytesHeld); // all acknowledged: the last, partly filled chunk goes back too

        c.Close();
        h.Flush();
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(40 * Mss), h.OurSeq(40_001), TcpFlags.Fin | TcpFlags.Ack, options: h.PeerTimestampOption()));
        Assert.Equal(TcpState.TimeWait, c.State);
        Assert.Equal(0, c.BufferBytesHeld);
        Assert.Equal(0, h.Stack.Buffers.ChunksInUse);
    }

    [Fact] // issue 11's target: an idle established connection holds at most 32 KiB (here the engine's share: the connection and its buffers)
    public void An_idle_established_connection_after_a_request_and_its_answer_holds_less_than_32_KiB()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        c.Send(new byte[300]); // a request
        h.Flush();
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(300), TcpFlags.Ack | TcpFlags.Psh, options: h.PeerTimestampOption()), new byte[5000]); // its answer
        c.Receive(new byte[8000]);
        h.Flush();

        // What one more connection's objects cost (the same in every state): the connection, its tables, both buffers' slots.
        long before = GC.GetAllocatedBytesForCurrentThread();
        h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, 81, h.Now);
        long objects = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"objects {objects} B + buffers {c.BufferBytesHeld} B");
        Assert.True(objects + c.BufferBytesHeld < 32 << 10, $"objects {objects} B + buffers {c.BufferBytesHeld} B");
    }

    [Fact] // RFC 9293 §3.8.6.2.2 with the reader on its own thread: the read that reopens the window says so, and the update leaves at once
    public void A_read_on_the_application_thread_that_reopens_a_closed_window_wakes_the_poll_thread()
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 0, ReceiveBufferSize = 4 * Mss, WindowScaling = false });
        var c = h.Establish(windowScale: null);
        for (int i = 0; i < 4; i++) DeliverData(h, i * Mss);
        Assert.Equal(0, h.Flush()[^1].Window);
        c.OnApplicationRead(); // the pump's pass after the batch: it tells the reader where a window update becomes due

        var read = new byte[4 * Mss];
        Assert.Equal(1000, c.ReceiveBuffer.Read(read.AsSpan(0, 1000), out bool notify));
        Assert.False(notify); // less than one MSS free: still a zero window (receiver SWS avoidance)
        c.OnApplicationRead();
        h.FlushNothing();
        c.ReceiveBuffer.Read(read.AsSpan(0, 1000), out notify);
        Assert.True(notify);
        c.OnApplicationRead(); // what the nudged poll thread runs
        Assert.Equal(2000, h.FlushSingle().Window);
    }

    /// <summary>
    /// A window left below one MSS by arriving data (the right edge stays put while the reader is behind) reopens only when
    /// the edge can move by the SWS threshold, min(buffer/2, MSS): the reader is told to nudge exactly there. Before, the
    /// reader was told "one MSS free", which a residual window plus less than one MSS of freed space already met: the
    /// position counted as passed, nobody asked for the update, and the sender waited for its persist timer (200 ms
    /// stalls of a download over a TAP with offloads), or a read sent an ACK whose window had not moved.
    /// </summary>
    [Fact]
    public void A_window_left_below_one_MSS_reopens_when_the_edge_can_move_and_not_before()
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 0, ReceiveBufferSize = 4 * Mss, WindowScaling = false });
        var c = h.Establish(windowScale: null);
        for (int i = 0; i < 3; i++) DeliverData(h, i * Mss);
        Assert.Equal(Mss, h.Flush()[^1].Window); // the edge stays: one segment's room is left
        c.OnApplicationRead();

        var read = new byte[4 * Mss];
        Assert.Equal(1000, c.ReceiveBuffer.Read(read.AsSpan(0, 1000), out bool notify));
        Assert.False(notify); // 1,000 bytes more would not move the edge by an MSS: no update worth a segment
        c.OnApplicationRead();
        h.FlushNothing();

        DeliverData(h, 3 * Mss, 552); // the residual window: 896 bytes, 1,896 free (its ACK waits for the delayed-ACK timer)
        h.FlushNothing();
        c.OnApplicationRead(); // the pump's pass after the batch
        h.FlushNothing();

        int rest = 3 * Mss + 552 - 1000;
        Assert.Equal(rest, c.ReceiveBuffer.Read(read, out notify));
        Assert.True(notify, "the read that let the edge move did not say so: the update would wait for the sender's probe");
        c.OnApplicationRead(); // what the nudged poll thread runs
        Assert.Equal(4 * Mss, h.FlushSingle().Window);
    }

    [Fact] // Linux tcp_cleanup_rbuf: the reader on its own thread drains a pushed segment, and its ACK leaves without the 40 ms timer
    public void A_reader_on_the_application_thread_that_drains_pushed_data_wakes_the_poll_thread()
    {
        var h = new EngineHarness(new TcpConfig { QuickAckSegments = 0 });
        var c = h.Establish();
        DeliverData(h, 0, 100, TcpFlags.Ack | TcpFlags.Psh);
        h.FlushNothing(); // a lone short segment: the delayed-ACK timer runs
        c.OnApplicationRead();
        var read = new byte[64];
        c.ReceiveBuffer.Read(read, out bool notify);
        Assert.False(notify);
        c.ReceiveBuffer.Read(read, out notify);
        Assert.True(notify); // drained
        c.OnApplicationRead();
        Assert.Equal(h.PeerSeq(100), h.FlushSingle().Ack);
    }
}
