using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using UserTcp.Fast.Wire;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Results;
using UserTcp.LiveBench.Roles;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Observation;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// ACK latency under bursts, measured inside the stack and by an observer: brings up a lab of its own with offloads off
/// (one segment per frame), makes the server namespace send bursts back to back (cubic without slow start after idle,
/// a large initial window on its route), starts the burst server and tcpdump on the server's veth, runs every case, and
/// always removes the lab. The receivers alternate within each pass: the kernel (from a temporary second address on the
/// client veth), the stack with cumulative ACKs, the stack with naive ACKs.
/// </summary>
internal sealed class AckLatencyOrchestrator(AckLatencyPlan plan, string labName, string workDirectory, Action<string> progress)
{
    private LabInfo _lab = null!;

    public static string Name(AckReceiver receiver) => receiver switch
    {
        AckReceiver.Kernel => "kernel",
        AckReceiver.StackCumulative => "stack-cumulative",
        AckReceiver.StackNaive => "stack-naive",
        AckReceiver.StackCumulativeBusyPoll => "stack-cumulative-busy-poll",
        AckReceiver.StackCumulativeAdaptive => "stack-cumulative-adaptive",
        _ => throw new ArgumentOutOfRangeException(nameof(receiver)),
    };

    public AckLatencyResults Run()
    {
        try
        {
            progress($"lab {labName}: up, offloads off");
            _lab = Lab.Up(new LabOptions { Name = labName, Files = plan.Files, Offload = false }).Lab;
            PrepareServerNamespace();
            // The kernel receiver's socket starts with a 4 MiB receive buffer (autotuning stays on): with the default 128 KiB,
            // autotuning left the window below 256 segments after the warm-up in about one connection in six, holding back
            // the largest bursts. The stack's receive buffer is 4 MiB too. Only kernel sockets in the client namespace see it.
            Tool.RunIn(_lab.ClientNetns, ["sysctl", "-qw", "net.ipv4.tcp_rmem=4096 4194304 33554432"]);
            using var server = StackProcess.Start(_lab.ServerNetns, "burst-server", []);
            server.AwaitReady();
            using var eventServer = StackProcess.Start(_lab.ServerNetns, "event-server",
                ["--iface", _lab.ServerIface, "--idle-ms", ((long)plan.Idle.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)]);
            eventServer.AwaitReady();
            string pcap = Path.Combine(workDirectory, "observer.pcap");
            var runs = new List<(AckReceiver Receiver, int Burst, int MaxSegment, int Pass, ReceiverResult Result, ServedConnection Served)>();
            var eventRuns = new List<(AckReceiver Receiver, int Pass, EventReceiverResult Result, List<ServedEvent> Served)>();
            CaptureCounts counts;
            using (var observer = ObserverCapture.Start(_lab, pcap, BurstRequest.FullSegmentPort, EventRequest.Port))
            {
                for (int pass = 0; pass < plan.Passes; pass++)
                foreach (int burst in plan.Bursts)
                foreach (var receiver in Enum.GetValues<AckReceiver>())
                {
                    progress($"pass {pass + 1}/{plan.Passes}: {plan.RoundsPerConnection} bursts of {burst} segments to {Name(receiver)}");
                    var (result, served) = Measure(receiver, plan.Request(burst), server);
                    runs.Add((receiver, burst, 0, pass, result, served));
                }
                for (int pass = 0; pass < plan.ClampedPasses; pass++)
                foreach (int maxSegment in plan.ClampedMaxSegments)
                foreach (int burst in plan.ClampedBursts)
                foreach (var receiver in Enum.GetValues<AckReceiver>().Where(r => r != AckReceiver.StackNaive))
                {
                    progress($"sub-MSS pass {pass + 1}/{plan.ClampedPasses}: {plan.RoundsPerConnection} bursts of {burst} segments, MSS clamped to {maxSegment}, to {Name(receiver)}");
                    var (result, served) = Measure(receiver, plan.Request(burst, maxSegment), server);
                    runs.Add((receiver, burst, maxSegment, pass, result, served));
                }
                for (int pass = 0; pass < plan.EventPasses; pass++)
                foreach (var receiver in EventReceivers)
                {
                    progress($"events pass {pass + 1}/{plan.EventPasses}: {plan.EventsOfPass.Count()} single events after idle to {Name(receiver)}");
                    var (result, served) = MeasureEvents(receiver, eventServer);
                    eventRuns.Add((receiver, pass, result, served));
                }
                counts = observer.Stop();
            }
            server.Finish();
            eventServer.Finish();
            progress("analysing the observer's capture");
            var serverAddress = Ipv4Address.Parse(Lab.ServerIp);
            var analyses = BurstRequest.ClampedMaxSegments.Prepend(0).Select(BurstRequest.PortFor)
                .ToDictionary(port => port, port => AckCoverageAnalysis.Read(pcap, serverAddress, port, plan.Idle / 2));
            var unmatched = analyses.ToDictionary(a => a.Key, a => new List<ObservedConnection>(a.Value.Connections));
            var matched = runs.Select(run =>
            {
                var address = Ipv4Address.Parse(run.Receiver == AckReceiver.Kernel ? KernelClient.Address : Lab.ClientIp);
                var connections = unmatched[BurstRequest.PortFor(run.MaxSegment)];
                var observed = connections.FirstOrDefault(c => c.ClientAddress == address && c.ClientPort == run.Result.LocalPort)
                               ?? throw new BenchException($"the capture holds no connection from {address}:{run.Result.LocalPort} ({Name(run.Receiver)}, {run.Burst}-segment bursts)");
                connections.Remove(observed);
                return new AckRun(run.Receiver, run.Burst, run.Pass, run.Result, run.Served, observed);
            }).ToList();
            var answers = EventAnswers.Read(pcap, serverAddress);
            var events = eventRuns.Select(run => new EventRun(run.Receiver, run.Pass, run.Result, run.Served.Select(served =>
            {
                var client = Ipv4Address.Parse(served.ClientAddress);
                IReadOnlyList<EventAnswer> probes = served.Probes.Select(probe => answers.Answer(client, (ushort)served.ClientPort, probe)).ToList();
                return (served, probes);
            }).ToList())).ToList();
            var analysis = analyses[BurstRequest.FullSegmentPort];
            return new AckLatencyResults(plan, matched, counts, analysis.UnreadableFrames, events);
        }
        finally
        {
            progress($"lab {labName}: down");
            Lab.Down(labName);
        }
    }

    /// <summary>
    /// Makes the server's kernel send each burst at once: Linux restarts from the initial window after an idle period
    /// (tcp_slow_start_after_idle), and cubic's HyStart leaves slow start early on a veth (cwnd stayed near 120 after a
    /// 2 MB transfer). So: no restart after idle, and an initial window larger than the largest burst on the route to the
    /// clients. Namespace-local, gone with the lab. (The burst server picks cubic on its socket itself: see <see cref="TcpSocketInfo.UseCubic"/>.)
    /// </summary>
    private void PrepareServerNamespace()
    {
        Tool.RunIn(_lab.ServerNetns, ["sysctl", "-qw", "net.ipv4.tcp_slow_start_after_idle=0"]);
        string route = Tool.Run(["ip", "-n", _lab.ServerNetns, "route", "show", "dev", _lab.ServerIface]).Split('\n')[0].Trim();
        Tool.Run(["ip", "-n", _lab.ServerNetns, "route", "change", .. route.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                  "dev", _lab.ServerIface, "initcwnd", plan.InitialWindow.ToString(CultureInfo.InvariantCulture)]);
    }

    /// <summary>One connection: the receiver's process reports its side, then the server its own (once the receiver closed).</summary>
    private (ReceiverResult, ServedConnection) Measure(AckReceiver receiver, BurstRequest request, StackProcess server)
    {
        if (receiver != AckReceiver.Kernel)
        {
            string[] busyPoll = receiver switch
            {
                AckReceiver.StackCumulativeBusyPoll => ["--busy-poll"],
                AckReceiver.StackCumulativeAdaptive => ["--adaptive-poll"],
                _ => [],
            };
            var result = RunReceiver("ack-stack", ["--lab", labName, "--ack-policy", receiver == AckReceiver.StackNaive ? "naive" : "cumulative",
                                                   .. busyPoll, "--warmup-path", plan.JitWarmupPath, .. request.ToArguments()], AckLatencyJson.Default.ReceiverResult);
            return (result, Served(server, result));
        }
        KernelClient.AddAddress(_lab);
        try
        {
            var result = RunReceiver("ack-kernel", ["--source", KernelClient.Address, .. request.ToArguments()], AckLatencyJson.Default.ReceiverResult);
            return (result, Served(server, result)); // before the address goes: the server's side of the close still needs it
        }
        finally
        {
            KernelClient.RemoveAddress(_lab);
        }
    }

    /// <summary>One receiver process in the client namespace: started, told to go, its result read, then let go.</summary>
    private T RunReceiver<T>(string role, string[] arguments, JsonTypeInfo<T> result)
    {
        using var process = StackProcess.Start(_lab.ClientNetns, role, arguments);
        process.AwaitReady();
        process.Say(StackRoles.Go);
        var value = process.AwaitResult(result);
        process.Finish();
        return value;
    }

    /// <summary>The receivers of the single events: the kernel against the stack as it is used by default (cumulative ACKs, sleeping in
    /// poll(2)) and busy-polling (no wake-up before the event's turn).</summary>
    private static readonly AckReceiver[] EventReceivers = [AckReceiver.Kernel, AckReceiver.StackCumulative, AckReceiver.StackCumulativeBusyPoll];

    /// <summary>One event receiver process, one connection per event of a pass; then the event server's report of each, in order.</summary>
    private (EventReceiverResult, List<ServedEvent>) MeasureEvents(AckReceiver receiver, StackProcess eventServer)
    {
        string events = EventRequest.Format(plan.EventsOfPass);
        EventReceiverResult result;
        if (receiver == AckReceiver.Kernel)
        {
            KernelClient.AddAddress(_lab);
            try
            {
                result = RunReceiver("ack-events-kernel", ["--source", KernelClient.Address, "--events", events], AckLatencyJson.Default.EventReceiverResult);
                return (result, ServedEvents(eventServer, result));
            }
            finally
            {
                KernelClient.RemoveAddress(_lab);
            }
        }
        string[] busyPoll = receiver == AckReceiver.StackCumulativeBusyPoll ? ["--busy-poll"] : [];
        result = RunReceiver("ack-events-stack", ["--lab", labName, .. busyPoll, "--warmup-path", plan.JitWarmupPath, "--events", events], AckLatencyJson.Default.EventReceiverResult);
        return (result, ServedEvents(eventServer, result));
    }

    private static List<ServedEvent> ServedEvents(StackProcess eventServer, EventReceiverResult result) => result.LocalPorts.Select(port =>
    {
        var served = JsonSerializer.Deserialize(eventServer.Expect(StackRoles.EventPrefix), AckLatencyJson.Default.ServedEvent)
                     ?? throw new BenchException("the event server sent an empty report");
        if (served.Error is { } error) throw new BenchException($"event server, connection from {served.ClientAddress}: {error}");
        if (served.ClientPort != port) throw new BenchException($"the event server served port {served.ClientPort}, the receiver used {port}");
        return served;
    }).ToList();

    private static ServedConnection Served(StackProcess server, ReceiverResult result)
    {
        var served = JsonSerializer.Deserialize(server.Expect(StackRoles.ConnectionPrefix), AckLatencyJson.Default.ServedConnection)
                     ?? throw new BenchException("the burst server sent an empty report");
        if (served.Error is { } error) throw new BenchException($"burst server, connection from {served.ClientAddress}: {error}");
        if (served.ClientPort != result.LocalPort)
            throw new BenchException($"the burst server served port {served.ClientPort}, the receiver used {result.LocalPort}");
        return served;
    }
}
