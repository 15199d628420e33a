using System.Text;
using System.Text.Json;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Live;

namespace UserTcp.LiveBench.Roles;

/// <summary>
/// The measured side: one stack process inside the lab's client namespace, started by <see cref="LiveOrchestrator"/>, which
/// it talks to by lines: it says <c>ready</c> (and other milestones) on stdout, waits for <c>go</c> on stdin, measures,
/// prints <c>result {json}</c> and waits for <c>exit</c>, so that a tracer the orchestrator attached can be stopped
/// before the process winds down. Every role warms the JIT up on the same code path before it says ready (<see cref="WarmUp"/>).
/// </summary>
internal static partial class StackRoles
{
    public const string Ready = "ready";
    public const string Go = "go";
    public const string SynSent = "syn-sent";
    public const string Established = "established";
    public const string ResultPrefix = "result ";
    public const string Exit = "exit";

    private static readonly Ipv4Address Server = Ipv4Address.Parse(Lab.ServerIp);
    private const ushort HttpPort = 80;
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(120);

    public static int Run(string role, BenchArguments arguments) => role switch
    {
        "download" => Download(arguments),
        "replay" => Replay(arguments),
        "send" => Send(arguments),
        "burst-server" => BurstServer(arguments),
        "ack-stack" => AckStackReceiver(arguments),
        "ack-kernel" => AckKernelReceiver(arguments),
        "event-server" => EventServer(arguments),
        "ack-events-stack" => AckEventsStack(arguments),
        "ack-events-kernel" => AckEventsKernel(arguments),
        "memory-stack" => MemoryStack(arguments),
        "soak-stack" => SoakStack(arguments),
        _ => throw new BenchException($"unknown role '{role}'"),
    };

    public static string HttpGet(string path) => $"GET {path} HTTP/1.0\r\nHost: lab\r\n\r\n";

    /// <summary>
    /// A GET from the lab's nginx through <c>usertcp connect</c>'s own code, measured from the SYN to the clean close.
    /// With <c>--pcap</c> and <c>--replayable</c> it records the capture <see cref="Replay"/> plays back.
    /// </summary>
    private static int Download(BenchArguments arguments)
    {
        string lab = arguments.Required("--lab");
        string path = arguments.Required("--path");
        if (arguments.Optional("--warmup-path") is { } warmupPath) WarmUpDownloading(lab, warmupPath);
        var pcap = arguments.Optional("--pcap") is { } file ? new FileInfo(file) : null;
        using var live = LiveStack.Open(StackSetup.ForLab(lab, pcap), replayable: arguments.Flag("--replayable") ? ReplayedConnection.Identity : null);
        SettleThenAwaitGo();
        var body = new CountingStream();
        var measurement = MeasuredWindow.Start(live);
        Get(live, path, body);
        Report(measurement.Stop(body.Length));
        return 0;
    }

    /// <summary>
    /// Runs <paramref name="exercise"/> four times with a pause after each. One round is not enough: the tiered JIT waits
    /// until no new method has been called for 100 ms before it counts calls, then promotes hot methods in the background
    /// twice (PGO: instrumented, then optimized), so after a single round that compilation, and the slower code before
    /// it, would land in the measured window. Waiting until no method at all is compiled does not work: every round opens
    /// a stack and a connection, and such once-per-round code keeps reaching the promotion count round after round.
    /// </summary>
    private static void WarmUp(Action exercise)
    {
        const int rounds = 4;
        for (int round = 0; round < rounds; round++)
        {
            exercise();
            Thread.Sleep(TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>
    /// Waits until the JIT has compiled nothing for 300 ms (5 s at most), right before the window opens: promotions that
    /// the warm-up or the measured stack's setup queued then compile now, on the background thread, instead of inside it.
    /// </summary>
    private static void LetJitSettle()
    {
        var quiet = TimeSpan.FromMilliseconds(300);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quietSince = clock.Elapsed;
        while (clock.Elapsed - quietSince < quiet && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            Thread.Sleep(50);
            long now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now == compiled) continue;
            compiled = now;
            quietSince = clock.Elapsed;
        }
    }

    /// <summary>Warms up with downloads of <paramref name="path"/> on throw-away stacks: the receive path the measured stack runs.</summary>
    private static void WarmUpDownloading(string lab, string path, AckPolicy ackPolicy = AckPolicy.Cumulative) => WarmUp(() =>
    {
        using var warm = LiveStack.Open(StackSetup.ForLab(lab, ackPolicy: ackPolicy));
        Get(warm, path, Stream.Null);
    });

    private static void Get(LiveStack live, string path, Stream body)
    {
        var log = new StringWriter();
        if (ConnectExchange.Run(live, Server, HttpPort, HttpGet(path), TransferTimeout, body, log) != 0)
            throw new BenchException($"GET {path} failed: {log.ToString().Trim()}");
    }

    /// <summary>
    /// The receive path fed by a replayer instead of a kernel: the stack opens the connection the capture was recorded
    /// on (same ISN, port and request; the server's kernel is deaf by then, so only the replayed SYN-ACK answers), and
    /// the orchestrator replays the server's frames into it. Every replayed segment is then in order and in window,
    /// exactly as in the recorded download: the measured path is the real one, minus the peer kernel's work.
    /// </summary>
    private static int Replay(BenchArguments arguments)
    {
        string lab = arguments.Required("--lab");
        long expectedFrames = arguments.RequiredLong("--expect");
        WarmUpDownloading(lab, arguments.Required("--warmup-path"));
        SettleThenAwaitGo();

        // The replayer sends at fixed rates up to full speed, with no ACK clock to hold it back: the ring must absorb bursts
        // beyond one window, or a drop stalls the window and later frames fall outside it.
        // Nor does it heed our window: the receive buffer starts at its maximum, the window the recording was made against,
        // instead of growing from 128 KiB as the reader keeps up (a late reader left later frames outside a small window).
        var fullWindow = new TcpConfig();
        using var live = LiveStack.Open(StackSetup.ForLab(lab) with { CaptureBufferBytes = StackSetup.LargeCaptureBufferBytes },
                                        fullWindow with { InitialReceiveBufferSize = fullWindow.ReceiveBufferSize },
                                        ReplayedConnection.Identity);
        var now = MonotonicClock.Now;
        var connection = live.Tcp.Connect(live.Setup.Address, Server, HttpPort, now);
        Require(live.RunUntil(() => live.Interface.IsResolved(Server) && connection.Stats.SegmentsSent > 0, TimeSpan.FromSeconds(5)),
            "the SYN did not go out (no ARP answer from the server's kernel?)");
        Say(SynSent);
        Require(live.RunUntil(() => connection.State == TcpState.Established, TimeSpan.FromSeconds(20)),
            $"the replayed SYN-ACK did not establish the connection (state {connection.State})");
        var request = Encoding.ASCII.GetBytes(HttpGet(arguments.Required("--recorded-path")));
        Require(connection.Send(request) == request.Length, "the request did not fit the send buffer");
        // The replayed segments acknowledge the request: it must be on the wire before they arrive.
        Require(live.RunUntil(() => connection.Stats.BytesSent >= request.Length, TimeSpan.FromSeconds(5)), "the request was not sent");

        var buffer = new byte[64 * 1024];
        long delivered = 0;
        var device = live.Device; // its Stats is a snapshot: read afresh each time
        long firstFrame = device.Stats.FramesReceived, seenFrames = firstFrame;
        var lastArrival = Instant.Never;
        live.Loop.OnTurn = turnAt =>
        {
            int n;
            while ((n = connection.Receive(buffer)) > 0) delivered += n;
            long received = device.Stats.FramesReceived;
            if (received == seenFrames) return;
            seenFrames = received;
            lastArrival = turnAt;
        };
        LetJitSettle();
        Say(Established);
        var measurement = MeasuredWindow.Start(live);
        // Done when every replayed frame arrived, or when the link has been quiet for a while after frames were lost
        // (the window then holds that quiet time: a few idle polls, a few microseconds of CPU).
        var quiet = TimeSpan.FromMilliseconds(300);
        Require(live.RunUntil(() => device.Stats.FramesReceived - firstFrame >= expectedFrames ||
                                    (!lastArrival.IsNever && MonotonicClock.Now - lastArrival > quiet), TransferTimeout),
            $"no replayed frame arrived within {TransferTimeout.TotalSeconds:0} s");
        Report(measurement.Stop(delivered));
        return 0;
    }

    /// <summary>
    /// The send path: UDP datagrams built by the interface (IPv4 + UDP headers, checksum, neighbour lookup) and written
    /// by the device, a poll-loop batch per turn, as an application sending from the loop's turn would. The server's
    /// kernel drops them on input (the orchestrator makes it deaf), so nothing comes back.
    /// </summary>
    private static int Send(BenchArguments arguments)
    {
        string lab = arguments.Required("--lab");
        var payload = new byte[arguments.RequiredLong("--payload")];
        long warmup = arguments.RequiredLong("--warmup"), frames = arguments.RequiredLong("--frames");
        const ushort sourcePort = 40000, discardPort = 9;
        using var live = LiveStack.Open(StackSetup.ForLab(lab));
        long sent = 0, target = 1;
        live.Loop.OnTurn = now =>
        {
            for (int i = 0; i < live.Loop.Batch && sent < target; i++, sent++)
                live.Interface.SendUdp(sourcePort, Server, discardPort, payload, now);
        };
        // The first datagram waits in the neighbour cache for the ARP answer; the measured ones go straight out.
        Require(live.RunUntil(() => sent == target && live.Interface.IsResolved(Server), TimeSpan.FromSeconds(5)), "no ARP answer from the server's kernel");
        WarmUp(() =>
        {
            target += warmup;
            SendUntilTarget();
        });
        SettleThenAwaitGo();
        target += frames;
        var measurement = MeasuredWindow.Start(live);
        SendUntilTarget();
        Report(measurement.Stop(frames * payload.Length));
        return 0;

        void SendUntilTarget()
        {
            while (sent < target) live.Loop.Turn(MonotonicClock.Now);
        }
    }

    private static void Require(bool condition, string failure)
    {
        if (!condition) throw new BenchException(failure);
    }

    /// <summary>Says ready with this process's id, which a tracer attaches to.</summary>
    private static void SayReady() => Say($"{Ready} {Environment.ProcessId}");

    /// <summary>Lets the JIT settle (<see cref="LetJitSettle"/>), says ready and waits for the orchestrator's go: the measured window opens next.</summary>
    private static void SettleThenAwaitGo()
    {
        LetJitSettle();
        SayReady();
        Await(Go);
    }

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    private static void Await(string line)
    {
        string? read = Console.In.ReadLine();
        if (read != line) throw new BenchException($"expected '{line}' from the orchestrator, got '{read ?? "end of input"}'");
    }

    /// <summary>Prints the result and waits until the orchestrator (which may be tracing this process) lets it exit.</summary>
    private static void Report(RunResult result)
    {
        Say(ResultPrefix + JsonSerializer.Serialize(result, RunResultJson.Default.RunResult));
        Await(Exit);
    }

    /// <summary>Counts what is written and keeps nothing: the body of a measured download.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
