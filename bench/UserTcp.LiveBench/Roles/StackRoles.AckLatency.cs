using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Live;

namespace UserTcp.LiveBench.Roles;

/// <summary>
/// The processes of the ACK-latency measurement (<see cref="AckLatencyOrchestrator"/>): the burst server in the lab's server
/// namespace, and the two kinds of receiver in its client namespace, the stack and a kernel socket.
/// </summary>
internal static partial class StackRoles
{
    public const string ConnectionPrefix = "connection ";
    private static readonly TimeSpan BurstsTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Kernel sockets on the lab's server address, one connection at a time: for each, the warm-up transfer, then the
    /// rounds of idle pause and one write of the whole burst, reporting TCP_INFO around each write (<see cref="BurstRound"/>).
    /// A C# role rather than a script: the request format and the evidence it reports are this program's own types.
    /// </summary>
    private static int BurstServer(BenchArguments arguments)
    {
        var listeners = new List<Socket>();
        try
        {
            foreach (int maxSegment in BurstRequest.ClampedMaxSegments.Prepend(0))
            {
                var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listeners.Add(listener);
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                TcpSocketInfo.UseCubic(listener);
                // The SYN-ACK then advertises this MSS, and the connections accepted inherit it: sub-MSS segments for the receiver.
                if (maxSegment != 0) TcpSocketInfo.ClampMaxSegment(listener, maxSegment);
                listener.Bind(new IPEndPoint(IPAddress.Parse(Lab.ServerIp), BurstRequest.PortFor(maxSegment)));
                listener.Listen();
                new Thread(() => AcceptConnections(listener)) { IsBackground = true, Name = $"burst server {maxSegment}" }.Start();
            }
            SayReady();
            Await(Exit);
            return 0;
        }
        finally
        {
            foreach (var listener in listeners) listener.Dispose();
        }
    }

    private static void AcceptConnections(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // the listener closed: the orchestrator said exit
            }
            ServedConnection served;
            using (client)
            {
                try
                {
                    served = ServeBursts(client);
                }
                catch (Exception e) when (e is SocketException or BenchException)
                {
                    served = new ServedConnection { ClientAddress = client.RemoteEndPoint?.ToString() ?? "", Error = e.Message };
                }
            }
            Say(ConnectionPrefix + JsonSerializer.Serialize(served, AckLatencyJson.Default.ServedConnection));
        }
    }

    private static ServedConnection ServeBursts(Socket client)
    {
        client.NoDelay = true;
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        var request = BurstRequest.Parse(ReadLine(client));
        var served = new ServedConnection
        {
            ClientAddress = remote.Address.ToString(),
            ClientPort = remote.Port,
            Mss = TcpSocketInfo.MaxSegment(client),
            CongestionControl = TcpSocketInfo.CongestionControl(client),
        };
        if (served.Mss != request.SegmentBytes)
            return served with { Error = $"MSS {served.Mss}, not {request.SegmentBytes}: a burst would not be whole segments" };
        var data = new byte[Math.Max(request.WarmupBytes, request.BurstBytes)];
        for (long sent = 0; sent < request.WarmupBytes;) sent += client.Send(data, (int)sent, (int)(request.WarmupBytes - sent), SocketFlags.None);
        for (int round = 0; round < request.Rounds; round++)
        {
            Thread.Sleep(request.Idle);
            var before = TcpSocketInfo.Read(client);
            long start = Stopwatch.GetTimestamp();
            int written = client.Send(data, 0, (int)request.BurstBytes, SocketFlags.None); // the whole burst in one write(2)
            var writeTime = Stopwatch.GetElapsedTime(start);
            var after = TcpSocketInfo.Read(client);
            served.Rounds.Add(new BurstRound(before.CongestionWindow, before.PeerWindow, before.Unacknowledged, after.NotSentBytes,
                                             written == request.BurstBytes, writeTime.TotalMicroseconds));
        }
        // The last burst's ACKs come back on their own time, not hurried by a FIN right behind it (a FIN is ACKed at once).
        Thread.Sleep(request.Idle);
        client.Shutdown(SocketShutdown.Send);
        client.ReceiveTimeout = (int)BurstsTimeout.TotalMilliseconds;
        while (client.Receive(data) > 0) { } // until the receiver closes too
        return served;
    }

    private static string ReadLine(Socket socket)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (socket.Receive(one) == 1 && one[0] != '\n' && line.Length < 200) line.Append((char)one[0]);
        return line.ToString();
    }

    /// <summary>
    /// The stack as the receiver: warmed up (downloads with the same ACK policy), then one connection to the burst server.
    /// The engine's ACK delays (<see cref="TcpStack.AckLatency"/>, raw samples) and the stack's counters are taken over
    /// the bursts only: from half an idle pause after the warm-up transfer (its last delayed ACK has gone by then, and the
    /// first burst is still half a pause away) to the server's FIN.
    /// </summary>
    private static int AckStackReceiver(BenchArguments arguments)
    {
        string lab = arguments.Required("--lab");
        var request = BurstRequest.From(arguments);
        var policy = arguments.Required("--ack-policy") switch
        {
            "cumulative" => AckPolicy.Cumulative,
            "naive" => AckPolicy.Naive,
            var other => throw new BenchException($"--ack-policy takes cumulative or naive, not '{other}'"),
        };
        // --busy-poll: spin on the capture ring instead of sleeping in poll(2); --adaptive-poll: spin for a learned budget.
        var pollMode = arguments.Flag("--busy-poll") ? PollMode.Busy : arguments.Flag("--adaptive-poll") ? PollMode.Adaptive : PollMode.Sleep;
        WarmUpDownloading(lab, arguments.Required("--warmup-path"), policy);
        using var live = LiveStack.Open(StackSetup.ForLab(lab, ackPolicy: policy, pollMode: pollMode));
        SettleThenAwaitGo();

        var connection = live.Tcp.Connect(live.Setup.Address, Server, request.Port, MonotonicClock.Now);
        Require(live.RunUntil(() => connection.State != TcpState.SynSent, TimeSpan.FromSeconds(5)) && connection.State == TcpState.Established,
            $"no connection to the burst server (state {connection.State}, {connection.Error})");
        var line = Encoding.ASCII.GetBytes(request.Line);
        Require(connection.Send(line) == line.Length, "the request did not fit the send buffer");
        var buffer = new byte[64 * 1024];
        long received = 0;
        bool delivered = false;
        var readAt = Instant.Never;
        live.Loop.OnTurn = _ =>
        {
            readAt = MonotonicClock.Now; // the loop flushed the batch's cumulative ACK just before the application's work
            int n;
            while ((n = connection.Receive(buffer)) > 0)
            {
                received += n;
                delivered = true;
            }
        };
        Require(live.RunUntil(() => received >= request.WarmupBytes, BurstsTimeout), $"the warm-up transfer did not arrive ({received} bytes)");
        var settled = MonotonicClock.Now + request.Idle / 2;
        live.RunUntil(() => MonotonicClock.Now >= settled, request.Idle);

        var latency = live.Tcp.AckLatency;
        latency.Clear();
        latency.KeepSamples(new long[request.Rounds * request.Segments]);
        long warmedUp = received;
        var turns = new List<TurnTiming>(request.Rounds * request.Segments);
        var measurement = MeasuredWindow.Start(live);
        // The poll loop's RunUntil, with every turn that delivered data timed: from its start to the application's work (the
        // batch's cumulative ACK is flushed just before it), and from there to the end of the turn (the read and what it
        // made due). That splits the in-stack delay into waiting for the loop and the turn's work up to the ACK.
        var deadline = MonotonicClock.Now + BurstsTimeout;
        while (!connection.IsReceiveComplete)
        {
            var start = MonotonicClock.Now;
            Require(start < deadline, $"the server did not finish its bursts ({received} bytes)");
            delivered = false;
            int frames = live.Loop.Turn(start);
            var end = MonotonicClock.Now;
            if (delivered) turns.Add(new TurnTiming(frames, (readAt - start).TotalMicroseconds, (end - readAt).TotalMicroseconds));
            live.Loop.IdleAfterTurn(frames, end + TimeSpan.FromMilliseconds(10)); // the loop's own idle policy, as RunUntil's
        }
        var bursts = measurement.Stop(received - warmedUp);
        var result = new ReceiverResult
        {
            LocalPort = connection.Tuple.LocalPort,
            BytesReceived = received,
            InStackNanoseconds = latency.Samples.ToArray(),
            InStackCount = latency.Count,
            Bursts = bursts,
            Turns = turns,
        };
        connection.Close();
        Require(live.RunUntil(() => connection.State is TcpState.Closed or TcpState.TimeWait, TimeSpan.FromSeconds(5)), $"the close did not complete ({connection.State})");
        Require(received == request.TotalBytes, $"received {received} bytes, expected {request.TotalBytes}");
        ReportReceiver(result);
        return 0;
    }

    /// <summary>A kernel socket as the receiver, from <c>--source</c> (an address the orchestrator added to the client veth for this run).</summary>
    private static int AckKernelReceiver(BenchArguments arguments)
    {
        var request = BurstRequest.From(arguments);
        var source = IPAddress.Parse(arguments.Required("--source"));
        SayReady();
        Await(Go);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        socket.Connect(new IPEndPoint(IPAddress.Parse(Lab.ServerIp), request.Port));
        socket.Send(Encoding.ASCII.GetBytes(request.Line));
        socket.ReceiveTimeout = (int)BurstsTimeout.TotalMilliseconds;
        var buffer = new byte[1 << 20];
        long received = 0;
        int n;
        while ((n = socket.Receive(buffer)) > 0) received += n;
        Require(received == request.TotalBytes, $"received {received} bytes, expected {request.TotalBytes}");
        ReportReceiver(new ReceiverResult { LocalPort = ((IPEndPoint)socket.LocalEndPoint!).Port, BytesReceived = received });
        return 0;
    }

    private static void ReportReceiver(ReceiverResult result)
    {
        Say(ResultPrefix + JsonSerializer.Serialize(result, AckLatencyJson.Default.ReceiverResult));
        Await(Exit);
    }
}
