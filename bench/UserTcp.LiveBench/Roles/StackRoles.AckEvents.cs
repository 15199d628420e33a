using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.LiveBench.Measurement;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Live;

namespace UserTcp.LiveBench.Roles;

/// <summary>
/// The single events after idle (<see cref="EventKind"/>): the event server in the lab's server namespace, which provokes
/// one event per connection (injecting a crafted frame with <see cref="PacketInjector"/>, or writing a pushed sub-MSS
/// burst), and the receivers in the client namespace, which open one connection per event in turn, read and discard
/// whatever arrives, and take a reset as the end of a connection.
/// </summary>
internal static partial class StackRoles
{
    public const string EventPrefix = "event ";
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);
    /// <summary>
    /// How long the server leaves the receiver to answer a probe before it goes on: above Linux's longest delayed ACK
    /// (TCP_DELACK_MAX, 200 ms), which a connection in its interactive ("pingpong") mode may use even for a duplicate's ACK.
    /// </summary>
    private static readonly TimeSpan AnswerWait = TimeSpan.FromMilliseconds(250);

    /// <summary>Kernel sockets on the lab's server address, port <see cref="EventRequest.Port"/>, one connection at a time; <c>--iface</c> is the server's veth, where the injector sends.</summary>
    private static int EventServer(BenchArguments arguments)
    {
        var idle = TimeSpan.FromMilliseconds(arguments.RequiredLong("--idle-ms"));
        using var injector = new PacketInjector(arguments.Required("--iface"), Server, EventRequest.Port);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Parse(Lab.ServerIp), EventRequest.Port));
        listener.Listen();
        new Thread(() => AcceptEvents(listener, injector, idle)) { IsBackground = true, Name = "event server" }.Start();
        SayReady();
        Await(Exit);
        return 0;
    }

    private static void AcceptEvents(Socket listener, PacketInjector injector, TimeSpan idle)
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
                return;
            }
            ServedEvent served;
            using (client)
            {
                try
                {
                    served = ServeEvent(client, injector, idle);
                }
                catch (Exception e) when (e is SocketException or BenchException)
                {
                    served = new ServedEvent { ClientAddress = client.RemoteEndPoint?.ToString() ?? "", Error = e.Message };
                    client.LingerState = new LingerOption(true, 0);
                }
            }
            Say(EventPrefix + JsonSerializer.Serialize(served, AckLatencyJson.Default.ServedEvent));
        }
    }

    /// <summary>
    /// Warm-up data, the idle pause, the event, time for the answer; then a normal close, or an abort (RST) when the
    /// injected data went past what the server sent (out-of-order data, a filled hole): that connection cannot go on.
    /// After a hole fill the client's RCV.NXT is past the server's SND.NXT, so the server's RST would be out of window
    /// and ignored: the injector resets the client at its RCV.NXT first.
    /// </summary>
    private static ServedEvent ServeEvent(Socket client, PacketInjector injector, TimeSpan idle)
    {
        client.NoDelay = true;
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        var request = EventRequest.ParseLine(ReadLine(client));
        const int segment = BurstRequest.FullSegmentBytes;
        if (TcpSocketInfo.MaxSegment(client) != segment) throw new BenchException($"MSS {TcpSocketInfo.MaxSegment(client)}, not {segment}");
        var data = new byte[EventRequest.WarmupSegments * segment];
        for (int i = 0; i < data.Length; i++) data[i] = (byte)i;
        for (int sent = 0; sent < data.Length;) sent += client.Send(data, sent, data.Length - sent, SocketFlags.None);
        Thread.Sleep(idle);
        var clientAddress = Ipv4Address.Parse(remote.Address.ToString());
        var view = injector.AwaitQuiet(clientAddress, (ushort)remote.Port, EventTimeout);
        var probes = new List<EventProbe>();
        var hole = new byte[segment];
        const TcpFlags dataFlags = TcpFlags.Ack | TcpFlags.Psh;
        bool abort = false;
        switch (request.Kind)
        {
            case EventKind.OutOfOrder:
                probes.Add(injector.Inject(view, EventKind.OutOfOrder, view.ServerNext + segment, hole, dataFlags));
                abort = true;
                break;
            case EventKind.HoleFill:
                // The first probe is an out-of-order segment like the one above; after another pause, the hole before it.
                probes.Add(injector.Inject(view, EventKind.OutOfOrder, view.ServerNext + segment, hole, dataFlags));
                Thread.Sleep(idle);
                probes.Add(injector.Inject(view, EventKind.HoleFill, view.ServerNext, hole, dataFlags));
                abort = true;
                break;
            case EventKind.Duplicate:
                // The last full segment the server sent, the same bytes again.
                probes.Add(injector.Inject(view, EventKind.Duplicate, view.ServerNext - segment, data.AsSpan(data.Length - segment), dataFlags));
                break;
            case EventKind.InWindowReset:
                probes.Add(injector.Inject(view, EventKind.InWindowReset, view.ServerNext + EventRequest.ResetOffset, [], TcpFlags.Rst | TcpFlags.Ack));
                break;
            case EventKind.PushedSubMss:
                // One write per segment with TCP_NODELAY: each leaves at once with PSH; the observer times the last one.
                for (int i = 0; i < EventRequest.PushedSegments; i++) client.Send(data, 0, EventRequest.PushedBytes, SocketFlags.None);
                var last = view.ServerNext + (EventRequest.PushedSegments - 1) * EventRequest.PushedBytes;
                probes.Add(new EventProbe(EventKind.PushedSubMss, last.Value, EventRequest.PushedBytes, (int)dataFlags, -1));
                break;
        }
        Thread.Sleep(AnswerWait);
        if (request.Kind == EventKind.HoleFill) injector.Reset(view, view.ServerNext + 2 * segment);
        var served = new ServedEvent { ClientAddress = remote.Address.ToString(), ClientPort = remote.Port, Kind = request.Kind, Probes = probes };
        if (abort)
        {
            client.LingerState = new LingerOption(true, 0); // the dispose sends a RST
            return served;
        }
        client.Shutdown(SocketShutdown.Send);
        client.ReceiveTimeout = (int)EventTimeout.TotalMilliseconds;
        while (client.Receive(data) > 0) { }
        return served;
    }

    /// <summary>
    /// The stack as the event receiver (cumulative ACKs, the default), warmed up like the burst receivers: one connection
    /// per event of <c>--events</c>, in order, each read to its end (FIN or RST); counters over all of them.
    /// </summary>
    private static int AckEventsStack(BenchArguments arguments)
    {
        string lab = arguments.Required("--lab");
        var kinds = EventRequest.ParseList(arguments.Required("--events"));
        // --busy-poll: spin on the capture ring instead of sleeping in poll(2), so no wake-up precedes the event's turn.
        var pollMode = arguments.Flag("--busy-poll") ? PollMode.Busy : PollMode.Sleep;
        WarmUpDownloading(lab, arguments.Required("--warmup-path"));
        using var live = LiveStack.Open(StackSetup.ForLab(lab, pollMode: pollMode));
        SettleThenAwaitGo();
        var buffer = new byte[64 * 1024];
        long received = 0;
        var ports = new List<int>();
        var measurement = MeasuredWindow.Start(live);
        foreach (var kind in kinds)
        {
            var connection = live.Tcp.Connect(live.Setup.Address, Server, EventRequest.Port, MonotonicClock.Now);
            Require(live.RunUntil(() => connection.State != TcpState.SynSent, TimeSpan.FromSeconds(5)) && connection.State == TcpState.Established,
                $"no connection to the event server (state {connection.State}, {connection.Error})");
            var line = Encoding.ASCII.GetBytes(new EventRequest(kind).Line);
            Require(connection.Send(line) == line.Length, "the request did not fit the send buffer");
            live.Loop.OnTurn = _ =>
            {
                int n;
                while ((n = connection.Receive(buffer)) > 0) received += n;
            };
            // When the connection does not end, the server failed this event and its report says why: abort and go on.
            if (!live.RunUntil(() => connection.IsReceiveComplete || connection.IsClosed, EventTimeout)) connection.Abort();
            live.Loop.OnTurn = null;
            if (!connection.IsClosed)
            {
                connection.Close();
                Require(live.RunUntil(() => connection.State is TcpState.Closed or TcpState.TimeWait, TimeSpan.FromSeconds(5)), $"the close did not complete ({connection.State})");
            }
            ports.Add(connection.Tuple.LocalPort);
        }
        var result = new EventReceiverResult { LocalPorts = ports, Counters = measurement.Stop(received) };
        Say(ResultPrefix + JsonSerializer.Serialize(result, AckLatencyJson.Default.EventReceiverResult));
        Await(Exit);
        return 0;
    }

    /// <summary>A kernel socket as the event receiver, from <c>--source</c>; a reset ends a connection like a FIN.</summary>
    private static int AckEventsKernel(BenchArguments arguments)
    {
        var kinds = EventRequest.ParseList(arguments.Required("--events"));
        var source = IPAddress.Parse(arguments.Required("--source"));
        SayReady();
        Await(Go);
        var ports = new List<int>();
        var buffer = new byte[64 * 1024];
        foreach (var kind in kinds)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(source, 0));
            socket.Connect(new IPEndPoint(IPAddress.Parse(Lab.ServerIp), EventRequest.Port));
            socket.Send(Encoding.ASCII.GetBytes(new EventRequest(kind).Line));
            socket.ReceiveTimeout = (int)EventTimeout.TotalMilliseconds;
            try
            {
                while (socket.Receive(buffer) > 0) { }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.TimedOut)
            {
                // Reset: the server aborted a connection the injected data made unusable. Timed out: the server failed this
                // event, and its report says why.
            }
            ports.Add(((IPEndPoint)socket.LocalEndPoint!).Port);
        }
        Say(ResultPrefix + JsonSerializer.Serialize(new EventReceiverResult { LocalPorts = ports }, AckLatencyJson.Default.EventReceiverResult));
        Await(Exit);
        return 0;
    }
}
