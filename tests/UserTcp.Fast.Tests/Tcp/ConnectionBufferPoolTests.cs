using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>
/// Connections take their buffers' chunks from the stack's pool and hand them back at TIME-WAIT or CLOSED, the receive
/// buffer's only once the application has read it: reuse without ever exposing a chunk's bytes to its next owner.
/// </summary>
public sealed class ConnectionBufferPoolTests
{
    private static void Peer(EngineHarness h, int peerOffset, int ourOffset, TcpFlags flags, byte[]? data = null)
    {
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(peerOffset), h.OurSeq(ourOffset), flags, options: h.PeerTimestampOption()), data ?? []);
    }

    /// <summary>Active close through FIN-WAIT to TIME-WAIT, the peer's FIN carrying <paramref name="data"/>.</summary>
    private static TcpConnection CloseToTimeWait(EngineHarness h, byte[]? data = null)
    {
        var c = h.Connection!;
        c.Close();
        h.Flush();
        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack, data);
        Assert.Equal(TcpState.TimeWait, c.State);
        h.Flush();
        return c;
    }

    [Fact]
    public void The_next_connection_reuses_the_chunks_of_one_in_time_wait()
    {
        var h = new EngineHarness();
        h.Establish();
        CloseToTimeWait(h);

        long before = GC.GetAllocatedBytesForCurrentThread();
        h.Establish();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Before the chunks, this connection would have allocated two rings of 4 MiB; the handshake itself is a few KiB.
        Assert.True(allocated < h.Config.ReceiveBufferSize / 4, $"the second connection allocated {allocated} bytes");
    }

    [Fact]
    public void Unread_bytes_outlive_the_connection_and_no_other_connection_reaches_them()
    {
        var h = new EngineHarness();
        h.Establish();
        byte[] first = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        var ended = CloseToTimeWait(h, first);
        Assert.Equal(first.Length, ended.BytesAvailable);

        // A new connection borrows from the pool and receives other bytes while the first still holds its unread data.
        var next = h.Establish();
        Peer(h, 0, 0, TcpFlags.Ack | TcpFlags.Psh, Enumerable.Repeat((byte)0xEE, 500).ToArray());
        Assert.Equal(500, next.BytesAvailable);

        var buffer = new byte[1000];
        Assert.Equal(first.Length, ended.Receive(buffer));
        Assert.Equal(first, buffer[..first.Length]);
        Assert.Equal(0, ended.Receive(buffer)); // drained: its chunks went back, and nothing else is readable through it
        Assert.Equal(0, ended.BytesAvailable);
        Assert.Equal(500, next.Receive(buffer));
        Assert.All(buffer[..500], b => Assert.Equal(0xEE, b));

        // The drained chunks now serve a third connection; the first must not see what arrives there.
        h.Flush(); // the second connection's ACK for its 500 bytes
        h.Establish();
        Peer(h, 0, 0, TcpFlags.Ack | TcpFlags.Psh, new byte[700]);
        Assert.Equal(0, ended.BytesAvailable);
        Assert.Equal(0, ended.Receive(buffer));
    }

    [Fact] // RFC 9293 §3.8.6.2.2: handing the buffers back must not shrink the window TIME-WAIT's ACKs advertise
    public void Time_wait_acks_keep_the_last_advertised_window()
    {
        var h = new EngineHarness();
        var c = h.Establish();
        c.Close();
        h.Flush();
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(1), TcpFlags.Fin | TcpFlags.Ack, options: h.PeerTimestampOption()));
        var lastAck = h.FlushSingle();
        Assert.Equal(1, h.Stack.TimeWaitCount);

        h.PeerTimestamp++; // the peer did not hear our ACK and sends its FIN again
        h.Deliver(h.Peer(h.PeerSeq(0), h.OurSeq(1), TcpFlags.Fin | TcpFlags.Ack, options: h.PeerTimestampOption()));
        var again = h.FlushSingle();
        Assert.Equal(lastAck.Ack, again.Ack);
        Assert.True(again.Window > 0);
        Assert.Equal(lastAck.Window, again.Window);
    }

    [Fact] // the application gone with bytes unread: nobody will read them, so the receive buffer is let go at once
    public void Orphan_lets_go_of_a_receive_buffer_with_unread_bytes()
    {
        var h = new EngineHarness();
        h.Establish();
        var c = CloseToTimeWait(h, new byte[500]);
        Assert.Equal(500, c.BytesAvailable);
        c.Orphan(h.Now);

        long before = GC.GetAllocatedBytesForCurrentThread();
        h.Establish();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < h.Config.ReceiveBufferSize / 4, $"the second connection allocated {allocated} bytes");
    }
}
