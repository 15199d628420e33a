using System.Runtime.CompilerServices;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Tests.Runtime;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Tcp;

/// <summary>
/// TIME-WAIT kept as a compact entry instead of the connection (Linux tcp_time_wait, tcp_timewait_state_process;
/// RFC 9293 §3.10.7.4, RFC 1337, RFC 6191), through the stack's production path: segments in, flushes out. Alone
/// (<see cref="StressCollection"/>): one test forces full collections and one opens 28,000 connections, which would
/// perturb the tests that count the allocations of a thread.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class TcpTimeWaitTests
{
    private const ushort ServerPort = 8080, ClientPort = 40000;
    private const uint ClientIss = 7000;

    private static void Peer(EngineHarness h, int peerOffset, int ourOffset, TcpFlags flags = TcpFlags.Ack, byte[]? data = null)
    {
        h.PeerTimestamp++;
        h.Deliver(h.Peer(h.PeerSeq(peerOffset), h.OurSeq(ourOffset), flags, options: h.PeerTimestampOption()), data ?? []);
    }

    /// <summary>Active close from an active open: our FIN, its ACK, then the peer's FIN and our last ACK.</summary>
    private static (EngineHarness, TcpConnection) ClientInTimeWait(TcpConfig? config = null, byte[]? lastData = null)
    {
        var h = new EngineHarness(config);
        var c = h.Establish();
        c.Close();
        h.FlushSingle();
        Peer(h, 0, 1);
        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack, lastData);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Ack), TcpCheck.Ack(h.PeerSeq((lastData?.Length ?? 0) + 1)));
        return (h, c);
    }

    /// <summary>A peer segment to our listener's port, from the client's port, with a timestamp.</summary>
    private static TcpHeader ToServer(uint seq, uint ack, TcpFlags flags, uint? timestamp) =>
        new(ClientPort, ServerPort, seq, ack, flags, 29200)
        {
            Options = timestamp is { } value ? new TcpOptions { Timestamps = new TcpTimestamps(value, 0) } : default,
        };

    /// <summary>A server that accepted a connection and closed it first: the TIME-WAIT is on the listener's side, where a
    /// new SYN from the same client port can reopen the four-tuple.</summary>
    private static EngineHarness ServerInTimeWait(bool timestamps = true)
    {
        var h = new EngineHarness();
        var listener = h.Stack.Listen(ServerPort);
        uint? Ts(uint value) => timestamps ? value : null;
        var syn = new TcpHeader(ClientPort, ServerPort, ClientIss, 0, TcpFlags.Syn, 29200)
        {
            Options = new TcpOptions { MaximumSegmentSize = 1460, Timestamps = timestamps ? new TcpTimestamps(100, 0) : null },
        };
        h.Deliver(syn, localPort: ServerPort);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack));
        h.Deliver(ToServer(ClientIss + 1, h.Iss + 1, TcpFlags.Ack, Ts(101)), localPort: ServerPort);
        Assert.True(listener.TryAccept(out var server));
        server.Close();
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Fin | TcpFlags.Ack));
        h.Deliver(ToServer(ClientIss + 1, h.Iss + 2, TcpFlags.Fin | TcpFlags.Ack, Ts(102)), localPort: ServerPort);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Ack), TcpCheck.Ack(ClientIss + 2));
        Assert.Equal(TcpState.Closed, server.State);
        Assert.Equal(1, h.Stack.TimeWaitCount);
        return h;
    }

    [Fact] // Linux tcp_time_wait + tcp_done: the stack forgets the connection, which the application sees CLOSED and readable
    public void Time_wait_lets_the_connection_go_and_keeps_its_data_readable()
    {
        var data = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
        var (h, c) = ClientInTimeWait(lastData: data);
        Assert.Equal(0, h.Stack.ConnectionCount);
        Assert.Equal(1, h.Stack.TimeWaitCount);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(TcpError.None, c.Error);
        Assert.True(c.HasNoTimers);

        var buffer = new byte[1000];
        Assert.Equal(300, c.Receive(buffer));
        Assert.Equal(data, buffer[..300]);
        Assert.True(c.IsReceiveComplete);
        Assert.Equal(0, c.Receive(buffer));
        h.FlushNothing(); // reading a closed connection sends nothing (the TIME-WAIT entry answers for it)

        var start = h.Now;
        h.AdvanceToNextDeadline();
        Assert.Equal(60, (h.Now - start).TotalSeconds);
        Assert.Equal(0, h.Stack.TimeWaitCount);
        Assert.True(h.Stack.NextDeadline.IsNever);
    }

    [Fact] // the finished connection's counters, and the TIME-WAIT entry's segments, stay in the stack's totals
    public void Counters_of_a_connection_in_time_wait_stay_in_the_totals()
    {
        var (h, c) = ClientInTimeWait();
        var atHandOff = h.Stack.TotalConnectionStats();
        Assert.Equal(c.Stats.SegmentsReceived, atHandOff.SegmentsReceived);
        Assert.Equal(c.Stats.SegmentsSent, atHandOff.SegmentsSent);

        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack); // the FIN again: one more segment in, one ACK out
        h.FlushSingle();
        var after = h.Stack.TotalConnectionStats();
        Assert.Equal(atHandOff.SegmentsReceived + 1, after.SegmentsReceived);
        Assert.Equal(atHandOff.SegmentsSent + 1, after.SegmentsSent);
        Assert.Equal(atHandOff.PureAcksSent + 1, after.PureAcksSent);
    }

    [Fact] // RFC 9293 §3.10.7.4, Linux tcp_v4_timewait_ack: the FIN again gets the same ACK, timestamps echoing the peer's
    public void Retransmitted_fin_gets_the_last_ack_with_timestamps_and_restarts_two_msl()
    {
        var (h, _) = ClientInTimeWait();
        uint finTimestamp = h.PeerTimestamp;
        h.Advance(TimeSpan.FromSeconds(50));
        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack);
        // Below RCV.NXT the segment is not acceptable, so TS.Recent stays the first FIN's (RFC 7323 §4.3).
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Ack), TcpCheck.Seq(h.OurSeq(1)), TcpCheck.Ack(h.PeerSeq(1)),
                              TcpCheck.TimestampEcho(finTimestamp), TcpCheck.PayloadLength(0));
        var restarted = h.Now;
        h.Advance(TimeSpan.FromSeconds(30)); // past the first deadline: still there
        Assert.Equal(1, h.Stack.TimeWaitCount);
        h.AdvanceToNextDeadline();
        Assert.Equal(60, (h.Now - restarted).TotalSeconds);
        Assert.Equal(0, h.Stack.TimeWaitCount);
    }

    [Fact] // RFC 9293 §3.10.7.4 seventh: data after the peer's FIN is not taken; our ACK restates RCV.NXT, 2*MSL runs on
    public void Data_in_time_wait_is_acknowledged_without_restarting()
    {
        var (h, _) = ClientInTimeWait();
        var deadline = h.Stack.NextDeadline;
        h.Advance(TimeSpan.FromSeconds(5));
        Peer(h, 1, 1, TcpFlags.Ack | TcpFlags.Psh, new byte[100]);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Ack), TcpCheck.Ack(h.PeerSeq(1)));
        Assert.Equal(deadline, h.Stack.NextDeadline);

        Peer(h, 1, 1); // a plain ACK needs no answer
        h.FlushNothing();
    }

    [Fact] // RFC 7323 §5.3 R1: an old duplicate (timestamp older than TS.Recent) is dropped and ACKed
    public void Paws_rejects_an_old_segment_with_an_ack()
    {
        var (h, _) = ClientInTimeWait();
        h.Deliver(h.Peer(h.PeerSeq(1), h.OurSeq(1), TcpFlags.Ack | TcpFlags.Psh, options: h.PeerTimestampOption()), new byte[10]);
        h.FlushSingle(); // the current timestamp: accepted as above
        h.Advance(TimeSpan.FromSeconds(1)); // past the answers' rate limit
        h.Deliver(h.Peer(h.PeerSeq(1), h.OurSeq(1), TcpFlags.Ack, options: new TcpOptions { Timestamps = new TcpTimestamps(h.PeerTimestamp - 5, 0) }));
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Ack), TcpCheck.Ack(h.PeerSeq(1)), TcpCheck.TimestampEcho(h.PeerTimestamp));
        Assert.Equal(1, h.Stack.TotalConnectionStats().PawsRejected);
    }

    [Fact] // Linux tcp_timewait_check_oow_rate_limit: a flood of old segments gets at most ChallengeAcksPerSecond ACKs a second
    public void Answers_in_time_wait_are_rate_limited_and_a_retransmitted_fin_is_still_answered()
    {
        var (h, _) = ClientInTimeWait(new TcpConfig { ChallengeAcksPerSecond = 100 });
        int answers = 0;
        for (int i = 0; i < 10_000; i++) // 10,000 old data segments over one second
        {
            h.Advance(TimeSpan.FromMilliseconds(0.1));
            Peer(h, 1, 1, TcpFlags.Ack | TcpFlags.Psh, new byte[10]);
            answers += h.Flush().Count;
        }
        Assert.InRange(answers, 99, 101);
        Assert.Equal(10_000 - answers, h.Stack.TotalConnectionStats().AnswersRateLimited);

        h.Advance(TimeSpan.FromMilliseconds(200)); // the peer's FIN again, an RTO later: answered
        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Ack), TcpCheck.Ack(h.PeerSeq(1)));
    }

    [Fact] // RFC 1337 §3 fix (1): no RST ends TIME-WAIT, none is answered
    public void Resets_do_not_end_time_wait()
    {
        var (h, _) = ClientInTimeWait();
        h.Deliver(h.Peer(h.PeerSeq(1), 0, TcpFlags.Rst));
        h.Deliver(h.Peer(h.PeerSeq(1), h.OurSeq(1), TcpFlags.Rst | TcpFlags.Ack));
        h.Deliver(h.Peer(h.PeerSeq(1_000_000), 0, TcpFlags.Rst)); // out of the window
        h.FlushNothing();
        Assert.Equal(1, h.Stack.TimeWaitCount);
        Assert.Equal(0, h.Stack.Stats.SegmentsForNoConnection);
    }

    [Fact] // RFC 6191 / Linux TCP_TW_SYN: a SYN above RCV.NXT reopens the four-tuple, our ISS above what we ever sent
    public void New_syn_above_rcv_nxt_reopens_the_four_tuple()
    {
        var h = ServerInTimeWait();
        var oldSndNxt = h.Iss + 2; // SYN and FIN
        h.Deliver(new TcpHeader(ClientPort, ServerPort, ClientIss + 100_000, 0, TcpFlags.Syn, 29200)
        {
            Options = new TcpOptions { MaximumSegmentSize = 1460, Timestamps = new TcpTimestamps(200, 0) },
        }, localPort: ServerPort);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack), TcpCheck.Seq(oldSndNxt + 65535 + 2),
                              TcpCheck.Ack(ClientIss + 100_001));
        Assert.Equal(0, h.Stack.TimeWaitCount);
        Assert.Equal(1, h.Stack.SynRequestCount);
        Assert.Equal(1, h.Stack.Stats.TimeWaitReopened);
    }

    [Fact] // RFC 6191: with timestamps a newer TSval is enough, even when the new ISN lies below RCV.NXT
    public void New_syn_with_a_newer_timestamp_reopens_even_below_rcv_nxt()
    {
        var h = ServerInTimeWait();
        h.Deliver(new TcpHeader(ClientPort, ServerPort, ClientIss - 5000, 0, TcpFlags.Syn, 29200)
        {
            Options = new TcpOptions { Timestamps = new TcpTimestamps(500, 0) },
        }, localPort: ServerPort);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack), TcpCheck.Ack(ClientIss - 4999));
        Assert.Equal(1, h.Stack.Stats.TimeWaitReopened);
    }

    [Fact] // Linux TCP_TW_ACK: a SYN neither above RCV.NXT nor newer is an old duplicate: ACK it, keep TIME-WAIT
    public void Old_syn_gets_an_ack_and_time_wait_stays()
    {
        var h = ServerInTimeWait(timestamps: false);
        h.Deliver(new TcpHeader(ClientPort, ServerPort, ClientIss, 0, TcpFlags.Syn, 29200), localPort: ServerPort);
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Ack), TcpCheck.Seq(h.Iss + 2), TcpCheck.Ack(ClientIss + 2));
        Assert.Equal(1, h.Stack.TimeWaitCount);
        Assert.Equal(0, h.Stack.ConnectionCount);
        Assert.Equal(0, h.Stack.Stats.TimeWaitReopened);
    }

    [Fact] // without a listener on the port (we opened the connection) a new SYN cannot reopen it: it gets the ACK
    public void Syn_without_a_listener_gets_an_ack()
    {
        var (h, _) = ClientInTimeWait();
        h.Deliver(h.Peer(h.PeerSeq(100_000), 0, TcpFlags.Syn));
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Ack), TcpCheck.Ack(h.PeerSeq(1)));
        Assert.Equal(1, h.Stack.TimeWaitCount);
    }

    [Fact] // tcp_max_tw_buckets: past the bound a connection closes without TIME-WAIT, counted; later ones fit again
    public void Full_table_closes_the_next_connection_without_time_wait()
    {
        var h = new EngineHarness(new TcpConfig { MaxTimeWaitEntries = 2 });
        var closed = new List<TcpConnection>();
        for (int i = 0; i < 3; i++)
        {
            var c = h.Establish();
            c.Close();
            h.FlushSingle();
            Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack);
            h.FlushSingle(); // the last ACK leaves either way
            closed.Add(c);
        }
        Assert.Equal(2, h.Stack.TimeWaitCount);
        Assert.Equal(1, h.Stack.Stats.TimeWaitOverflows);
        Assert.All(closed, c => Assert.Equal(TcpState.Closed, c.State));

        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack); // the third's FIN again: it is unknown now, so a RST answers
        h.FlushSingle().Check(TcpCheck.Flags(TcpFlags.Rst));
        Assert.Equal(1, h.Stack.Stats.SegmentsForNoConnection);
    }

    [Fact] // RFC 9293 §3.4.2: a four-tuple in TIME-WAIT is not handed out again; every other port of the range is
    public void Ephemeral_ports_skip_four_tuples_in_time_wait()
    {
        // Tiny rings: every port of the range will hold a connection in SYN-SENT at once.
        var (h, inTimeWait) = ClientInTimeWait(new TcpConfig { MaxSegmentSize = 100, ReceiveBufferSize = 200, SendBufferSize = 100 });
        ushort reserved = inTimeWait.Tuple.LocalPort;
        const int range = 60999 - 32768 + 1; // Linux's default ephemeral range, as TcpStack's
        for (int i = 0; i < range - 1; i++)
        {
            var c = h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, EngineHarness.RemotePort, h.Now);
            Assert.NotEqual(reserved, c.Tuple.LocalPort);
        }
        Assert.Throws<InvalidOperationException>(() => h.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, EngineHarness.RemotePort, h.Now));
        Assert.Equal(1, h.Stack.TimeWaitCount);
    }

    [Fact] // the point of it all: the connection object is not kept by TIME-WAIT
    public void Time_wait_does_not_keep_the_connection_object()
    {
        var h = new EngineHarness();
        var gone = CloseToTimeWaitAndForget(h);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(gone.IsAlive, "the TcpConnection is still reachable while its four-tuple is in TIME-WAIT");
        Assert.Equal(1, h.Stack.TimeWaitCount);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CloseToTimeWaitAndForget(EngineHarness h)
    {
        var c = h.Establish();
        c.Close();
        h.FlushSingle();
        Peer(h, 0, 1, TcpFlags.Fin | TcpFlags.Ack);
        h.FlushSingle();
        h.Connection = null;
        return new WeakReference(c);
    }

    [Fact] // what an entry keeps: its key and value in the table, its element in the expiry queue, a bucket (issue 11: ≤ 1 KiB)
    public void Time_wait_entry_retains_well_under_a_kibibyte()
    {
        int dictionaryEntry = Unsafe.SizeOf<TcpFourTuple>() + Unsafe.SizeOf<TimeWaitEntry>() + 2 * sizeof(int) + sizeof(int); // hash, next, bucket
        int queueElement = Unsafe.SizeOf<(TcpFourTuple, Instant)>();
        int perEntry = dictionaryEntry + queueElement;
        Assert.True(perEntry <= 128, $"{perEntry} bytes per TIME-WAIT entry");
        // Both collections grow by doubling: at worst twice that, still far below 1 KiB.
        Assert.True(2 * perEntry <= 1024);
    }
}
