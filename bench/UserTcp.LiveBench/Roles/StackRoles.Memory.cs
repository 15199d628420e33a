using System.Diagnostics;
using System.Text.Json;
using UserTcp.Fast.Api;
using UserTcp.Fast.Buffers;
using UserTcp.LiveBench.Orchestration;
using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Live;

namespace UserTcp.LiveBench.Roles;

// The memory measurement's stack: the library as an application uses it (NetworkStack, TcpStream), N connections to the
// hold server, figures taken with the connections idle, receiving, and in TIME-WAIT.
internal static partial class StackRoles
{
    private const int WarmUpConnections = 16; // every phase once, so the JIT is done before the baseline
    private static readonly TimeSpan ActiveWindow = TimeSpan.FromSeconds(3);
    // Shared by every reader (the bytes are not looked at), allocated by the warm-up: in the baseline, not in a figure.
    private static readonly byte[] Sink = new byte[64 * 1024];

    /// <summary>
    /// Opens <c>--connections</c> connections to the hold server (the receive and send buffers' maxima <c>--buffer-size</c> bytes when
    /// given, else the library's defaults) (at most 64 handshakes at a time), each with a read
    /// pending as a server's would be, and measures: baseline (after a warm-up round of <see cref="WarmUpConnections"/>
    /// connections through every phase, so the JIT and the buffer pool are warm), idle (all established, nothing
    /// moving), active (each receiving <c>--rate</c> bytes/s from the server, read as it comes), and TIME-WAIT (the stack
    /// closed first; the server answered with its FIN).
    /// </summary>
    private static int MemoryStack(BenchArguments arguments)
    {
        string lab = arguments.Required("--lab");
        int connections = (int)arguments.RequiredLong("--connections");
        int rate = (int)arguments.RequiredLong("--rate");
        // Thousands of connections receive at once: the capture ring must hold far more than the one window the default
        // is sized for (it overflowed at 10,000 connections even at this size).
        var setup = StackSetup.ForLab(lab) with { CaptureBufferBytes = StackSetup.LargeCaptureBufferBytes };
        var options = setup.ToOptions(DeviceFactory.Open(setup));
        if (arguments.OptionalInt("--buffer-size") is { } size)
            options = options with
            {
                Tcp = options.Tcp with
                {
                    ReceiveBufferSize = size,
                    SendBufferSize = size,
                    InitialReceiveBufferSize = Math.Min(size, options.Tcp.InitialReceiveBufferSize),
                    InitialSendBufferSize = Math.Min(size, options.Tcp.InitialSendBufferSize),
                },
            };
        // TIME-WAIT outlives a slow close of thousands of connections, so the last figure counts them all.
        options = options with { Tcp = options.Tcp with { TimeWaitDuration = TimeSpan.FromMinutes(10) } };
        using var stack = NetworkStack.Start(options);

        RunConnections(stack, WarmUpConnections, _ => { });
        FillChunkPool(stack);
        SettleThenAwaitGo();
        var figures = new List<MemoryFigures> { Measure(stack, MemoryPhases.Baseline, 0) };
        long received = 0;
        var (reset, notClosed) = RunConnections(stack, connections, phase =>
        {
            if (phase.Name == MemoryPhases.Active) received = phase.Received;
            figures.Add(Measure(stack, phase.Name, phase.Streams));
        });
        Say(ResultPrefix + JsonSerializer.Serialize(new MemoryRun(connections, rate, ActiveWindow.TotalSeconds, received,
            options.Tcp.ReceiveBufferSize, options.Tcp.SendBufferSize, reset, notClosed, figures), MemoryJson.Default.MemoryRun));
        Await(Exit);
        return 0;
    }

    /// <summary>
    /// Takes as many chunks from the stack's pool as it keeps spare and gives them back, so the baseline holds the pool
    /// full: the chunks a few busy connections make it create stay in the pool afterwards (4 MiB at most), and would
    /// otherwise count against the connections of a later phase (4 KiB per connection of 1,000).
    /// </summary>
    private static void FillChunkPool(NetworkStack stack) => stack.InvokeAsync(loop =>
    {
        var pool = loop.Interface.Tcp.Buffers;
        var chunks = Enumerable.Range(0, ChunkPool.RetainedChunks).Select(_ => pool.Rent()).ToList();
        chunks.ForEach(pool.Return);
        return pool.SpareChunks;
    }).Wait();

    /// <summary>Where <see cref="RunConnections"/> stands when it calls back: the phase, the streams open, bytes received so far.</summary>
    private readonly record struct MemoryPhase(string Name, int Streams, long Received);

    /// <summary>Opens <paramref name="count"/> connections, lets them idle, receive, stop, and closes them first; calls
    /// <paramref name="measure"/> in the idle, active and TIME-WAIT phases. Returns how many the server did not close
    /// (reset then), and the stack's view of the first ten of them.</summary>
    private static (int Reset, string? NotClosed) RunConnections(NetworkStack stack, int count, Action<MemoryPhase> measure)
    {
        var streams = new TcpStream[count];
        int first = Math.Min(count, 64);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        Connect(stack, streams, 0, first);
        long perConnection = (GC.GetTotalMemory(forceFullCollection: true) - before) / first;
        long available = AvailableBytes();
        Require((count - first) * perConnection < available * 6 / 10,
            $"{count} connections would take about {count * perConnection >> 20} MiB ({perConnection >> 10} KiB each, measured " +
            $"on the first {first}), more than 60 % of the {available >> 20} MiB available: ask for fewer connections");
        Connect(stack, streams, first, count);
        long received = 0;
        var readers = streams.Select(async stream =>
        {
            int n;
            while ((n = await stream.ReadAsync(Sink).ConfigureAwait(false)) > 0) Interlocked.Add(ref received, n);
        }).ToArray();
        Thread.Sleep(TimeSpan.FromSeconds(1));
        measure(new MemoryPhase(MemoryPhases.Idle, count, 0));

        WriteToAll(streams, "a"u8.ToArray());
        Thread.Sleep(ActiveWindow);
        measure(new MemoryPhase(MemoryPhases.Active, count, Interlocked.Read(ref received)));
        WriteToAll(streams, "i"u8.ToArray());
        WaitUntilQuiet(() => Interlocked.Read(ref received));

        foreach (var stream in streams) stream.ShutdownWrite(); // our FIN first: TIME-WAIT is on our side
        int reset = 0;
        string? notClosed = null;
        if (!WaitWhileProgressing(readers))
        {
            notClosed = stack.InvokeAsync(loop => string.Join("; ",
                loop.Interface.Tcp.Connections.Take(10).Select(c => $"{c.Tuple} {c.State} available {c.BytesAvailable} received " +
                    $"{c.Stats.BytesReceived} segments in {c.Stats.SegmentsReceived} (data {c.Stats.DataSegmentsReceived}, unacceptable " +
                    $"{c.Stats.UnacceptableSegments}, PAWS {c.Stats.PawsRejected}, duplicate {c.Stats.DuplicateSegments}) zero windows " +
                    $"{c.Stats.ZeroWindowsAdvertised} peer window {c.PeerWindow}")) + $"; the stack: {loop.Interface.Tcp.Stats.SegmentsForNoConnection} " +
                    $"segments for no connection, kernel drops (ps_drop) {loop.Device.Stats.KernelDrops}").Result;
            for (int i = 0; i < count; i++)
            {
                if (readers[i].IsCompleted) continue;
                streams[i].Abort();
                reset++;
            }
        }
        foreach (var stream in streams) stream.Dispose();
        // An application lets go of a closed stream: only the stack's TIME-WAIT should be left to measure.
        Array.Clear(streams);
        Array.Clear(readers);
        var closing = Stopwatch.StartNew();
        while (stack.InvokeAsync(loop => loop.Interface.Tcp.ConnectionCount).Result > 0)
        {
            Require(closing.Elapsed < TimeSpan.FromSeconds(30), "connections did not reach TIME-WAIT");
            Thread.Sleep(50);
        }
        measure(new MemoryPhase(MemoryPhases.TimeWait, 0, Interlocked.Read(ref received)));
        return (reset, notClosed);
    }

    /// <summary>Opens streams[<paramref name="from"/>..<paramref name="to"/>), at most 64 handshakes at a time.</summary>
    private static void Connect(NetworkStack stack, TcpStream[] streams, int from, int to)
    {
        using var handshakes = new SemaphoreSlim(64);
        Task.WaitAll(Enumerable.Range(from, to - from).Select(async i =>
        {
            await handshakes.WaitAsync().ConfigureAwait(false);
            try
            {
                streams[i] = await stack.ConnectAsync(Server, HoldServer.Port).ConfigureAwait(false);
            }
            finally
            {
                handshakes.Release();
            }
        }).ToArray());
    }

    /// <summary>MemAvailable of /proc/meminfo.</summary>
    private static long AvailableBytes() => KibibytesField("/proc/meminfo", "MemAvailable:");

    /// <summary>Waits for every reader to see the server's FIN, for as long as more of them finish every 30 s (with
    /// thousands of connections a loaded machine takes its time); false when 30 s pass without one.</summary>
    private static bool WaitWhileProgressing(Task[] readers)
    {
        int done = -1;
        while (!Task.WaitAll(readers, TimeSpan.FromSeconds(30)))
        {
            int now = readers.Count(r => r.IsCompleted);
            if (now == done) return false;
            done = now;
        }
        return true;
    }

    private static void WriteToAll(TcpStream[] streams, byte[] command) =>
        Task.WaitAll(streams.Select(stream => stream.WriteAsync(command).AsTask()).ToArray());

    /// <summary>Waits until <paramref name="received"/> has not moved for two seconds: the server stopped sending.</summary>
    private static void WaitUntilQuiet(Func<long> received)
    {
        long last = -1;
        while (received() is var now && now != last)
        {
            last = now;
            Thread.Sleep(TimeSpan.FromSeconds(2));
        }
    }

    /// <summary>The managed heap after full compacting collections (finalizers run in between), the resident set, and the
    /// stack's connection and TIME-WAIT counts and buffer chunks (held by connections, spare in the pool), read on its
    /// poll thread.</summary>
    private static MemoryFigures Measure(NetworkStack stack, string phase, int streams)
    {
        for (int i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        long heap = GC.GetTotalMemory(forceFullCollection: false);
        var (live, timeWait, chunks, spare) = stack.InvokeAsync(loop => (loop.Interface.Tcp.ConnectionCount, loop.Interface.Tcp.TimeWaitCount,
            loop.Interface.Tcp.Buffers.ChunksInUse, loop.Interface.Tcp.Buffers.SpareChunks)).Result;
        return new MemoryFigures(phase, heap, ResidentBytes(), live, timeWait, streams, chunks, spare);
    }

    /// <summary>VmRSS of /proc/self/status.</summary>
    private static long ResidentBytes() => KibibytesField("/proc/self/status", "VmRSS:");

    /// <summary>A "Name:   N kB" line of a /proc file, in bytes.</summary>
    private static long KibibytesField(string file, string name)
    {
        foreach (string line in File.ReadLines(file))
            if (line.StartsWith(name, StringComparison.Ordinal))
                return long.Parse(line.AsSpan(name.Length).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
        throw new BenchException($"no {name} in {file}");
    }
}
