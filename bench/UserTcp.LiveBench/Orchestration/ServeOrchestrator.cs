using System.Diagnostics;
using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// The serve benchmark: the lab the other way round. Servers in the CLIENT namespace (<see cref="ServeServer"/>: the stack
/// on the lab's client address, Kestrel on kernel sockets and nginx on a kernel address beside it), kernel clients in the
/// SERVER namespace (<see cref="ServeClients"/>, <see cref="IdleHolder"/>). Offloads on: wrk at every size and connection
/// count, the accept rate, the bulk file, idle connections, then the SYN flood at the stack; offloads off: the servers
/// started again and the bulk file. Every measurement rotates the servers' order from round to round. A server whose
/// mode <c>usertcp serve</c> lacks is left out and named in <see cref="Notes"/>, as is any measurement that failed
/// (the others go on). The lab is always removed.
/// </summary>
internal sealed class ServeOrchestrator(ServePlan plan, string labName, string work, Action<string> progress)
{
    private readonly List<ServeSample> _samples = [];
    private readonly string _webRoot = LabNames.For(labName).WebRoot;
    private LabInfo _lab = null!;

    /// <summary>What was left out or failed, one line each.</summary>
    public List<string> Notes { get; } = [];

    /// <summary>The servers measured, in the report's order.</summary>
    public List<string> Servers { get; } = [];

    public List<ServeSample> Run()
    {
        try
        {
            var options = new LabOptions { Name = labName, Files = plan.Files };
            progress($"lab {labName}: up (files {options.Files})");
            _lab = Lab.Up(options).Lab;
            ChooseServers();
            foreach (bool offload in new[] { true, false })
            {
                _lab = Lab.Up(options with { Offload = offload }).Lab;
                ServeServer.AddKernelAddress(_lab);
                var servers = StartServers();
                try
                {
                    if (offload)
                    {
                        Requests(servers);
                        Accept(servers);
                    }
                    Bulk(servers, offload);
                    if (offload)
                    {
                        // The flood last: without SYN cookies the stack's SYN queue stays full of the flood's requests until
                        // their SYN-ACK retransmissions end, minutes, and the idle connections would find it so.
                        Idle(servers);
                        if (servers.FirstOrDefault(s => s.Name == ServeServer.Stack) is { } stack) Flood(stack);
                    }
                }
                finally
                {
                    foreach (var server in servers) server.Dispose();
                }
            }
            return _samples;
        }
        finally
        {
            progress($"lab {labName}: down");
            Lab.Down(labName);
        }
    }

    /// <summary>The stack and Kestrel on kernel sockets need <c>usertcp serve --root</c> (and <c>--kernel-sockets</c>); nginx always runs.</summary>
    private void ChooseServers()
    {
        var help = ProcessRunner.Run(BuiltProgram.Usertcp, ["serve", "--help"], TimeSpan.FromSeconds(30));
        bool root = help.Output.Contains("--root", StringComparison.Ordinal), kernel = help.Output.Contains("--kernel-sockets", StringComparison.Ordinal);
        if (root) Servers.Add(ServeServer.Stack);
        else Notes.Add("stack: not measured, `usertcp serve` of this build has no --root (static files on Kestrel over the stack).");
        if (root && kernel) Servers.Add(ServeServer.KestrelKernel);
        else Notes.Add("kestrel-kernel: not measured, `usertcp serve` of this build has no --root --kernel-sockets.");
        Servers.Add(ServeServer.Nginx);
    }

    private List<ServeServer> StartServers()
    {
        var started = new List<ServeServer>();
        try
        {
            foreach (string name in Servers)
            {
                progress($"starting {name} (offloads {(_lab.Offload ? "on" : "off")})");
                started.Add(name switch
                {
                    ServeServer.Stack => ServeServer.StartStack(_lab, _webRoot),
                    ServeServer.KestrelKernel => ServeServer.StartKestrelKernel(_lab, _webRoot),
                    _ => ServeServer.StartNginx(_lab, _webRoot, work),
                });
            }
            // A second of load each, unrecorded: the JIT's and the pools' warm-up is not a server's steady state.
            foreach (var server in started) Try(server, "warm-up", () => ServeClients.Wrk(_lab, $"{server.BaseUrl}/{plan.Sizes[0]}", 64, 1));
            return started;
        }
        catch
        {
            foreach (var server in started) server.Dispose();
            throw;
        }
    }

    /// <summary>The servers in round <paramref name="round"/>'s order: rotated by one each round.</summary>
    private static IEnumerable<ServeServer> Rotated(List<ServeServer> servers, int round) =>
        servers.Skip((round - 1) % servers.Count).Concat(servers.Take((round - 1) % servers.Count));

    private void Requests(List<ServeServer> servers)
    {
        foreach (string size in plan.Sizes)
        foreach (int connections in plan.Connections)
        {
            progress($"requests: {size} at {connections} connections, {plan.Rounds} rounds of {plan.Seconds} s each");
            for (int round = 1; round <= plan.Rounds; round++)
            foreach (var server in Rotated(servers, round))
            {
                Try(server, $"{size} at {connections} connections", () =>
                {
                    long before = server.ResidentBytes();
                    long during = 0;
                    var sampler = Task.Run(() =>
                    {
                        Thread.Sleep(TimeSpan.FromSeconds(plan.Seconds / 2.0 + 0.2));
                        during = server.ResidentBytes();
                    });
                    var result = ServeClients.Wrk(_lab, $"{server.BaseUrl}/{size}", connections, plan.Seconds);
                    sampler.Wait();
                    Add("requests", server.Name, size, connections, round, "rps", result.RequestsPerSecond);
                    Add("requests", server.Name, size, connections, round, "p50_ms", result.P50Milliseconds);
                    Add("requests", server.Name, size, connections, round, "p99_ms", result.P99Milliseconds);
                    Add("requests", server.Name, size, connections, round, "errors", result.Errors);
                    Add("requests", server.Name, size, connections, round, "rss_before", before);
                    Add("requests", server.Name, size, connections, round, "rss_during", during);
                });
            }
        }
    }

    /// <summary>New connections per second: wrk with <c>Connection: close</c>, one request per connection, at 32 connections.</summary>
    private void Accept(List<ServeServer> servers)
    {
        const int connections = 32;
        string size = plan.Sizes[0];
        progress($"accept rate: {size} with Connection: close at {connections} connections, {plan.Rounds} rounds of {plan.Seconds} s");
        for (int round = 1; round <= plan.Rounds; round++)
        foreach (var server in Rotated(servers, round))
        {
            Try(server, "accept rate", () =>
            {
                var result = ServeClients.Wrk(_lab, $"{server.BaseUrl}/{size}", connections, plan.Seconds, close: true);
                Add("accept", server.Name, size, connections, round, "connections_per_s", result.RequestsPerSecond);
                Add("accept", server.Name, size, connections, round, "errors", result.Errors);
            });
            // The servers' TIME-WAIT entries of this round expire (or are reused) before the next server's.
            Thread.Sleep(TimeSpan.FromSeconds(1));
        }
    }

    private void Bulk(List<ServeServer> servers, bool offload)
    {
        long bytes = _lab.Files[plan.BulkSize].Bytes;
        progress($"bulk: {plan.BulkSize} to curl into /dev/null, offloads {(offload ? "on" : "off")}, {plan.BulkPairs} rounds");
        for (int round = 1; round <= plan.BulkPairs; round++)
        foreach (var server in Rotated(servers, round))
            Try(server, $"{plan.BulkSize} offloads {(offload ? "on" : "off")}",
                () => Add("bulk", server.Name, plan.BulkSize, 1, round, "gbit_per_s", ServeClients.Bulk(_lab, $"{server.BaseUrl}/{plan.BulkSize}", bytes)));
    }

    /// <summary>Each count of idle connections to each server: its memory before, while they are held, and after they closed.</summary>
    private void Idle(List<ServeServer> servers)
    {
        foreach (int count in plan.IdleCounts)
        foreach (var server in servers)
        {
            progress($"idle: {count} connections to {server.Name}");
            Try(server, $"{count} idle connections", () =>
            {
                long before = server.ResidentBytes();
                var (holder, held) = IdleHolder.Open(_lab, server.Address, server.Port, count);
                using (holder)
                {
                    Thread.Sleep(TimeSpan.FromSeconds(1));
                    long holding = server.ResidentBytes();
                    holder.Close();
                    Thread.Sleep(TimeSpan.FromSeconds(2));
                    long after = server.ResidentBytes();
                    Add("idle", server.Name, "", count, 1, "held", held);
                    Add("idle", server.Name, "", count, 1, "rss_before", before);
                    Add("idle", server.Name, "", count, 1, "rss_held", holding);
                    Add("idle", server.Name, "", count, 1, "rss_after", after);
                }
            });
        }
    }

    /// <summary>
    /// The SYN flood at the stack's port, with a legitimate request every 20 ms from a second before it to a second after
    /// it, and the stack's memory sampled every 100 ms; memory also 5 s after; then how long until a request succeeds again. Requests count as during the flood when they
    /// started between its first and its last SYN (both clocks are CLOCK_MONOTONIC).
    /// </summary>
    private void Flood(ServeServer stack)
    {
        progress($"SYN flood: {plan.FloodSyns} SYNs from {ServeClients.FloodSource} at {stack.Address}:{stack.Port}, -i {plan.FloodInterval}, legitimate requests meanwhile");
        Try(stack, "SYN flood", () =>
        {
            ServeClients.PrepareFloodSource(_lab);
            try
            {
                long before = stack.ResidentBytes();
                string stopFile = Path.Combine(work, "flood-legit.stop");
                var legit = ServeClients.LegitLoop(_lab, stack.Address, stack.Port, "/" + plan.Sizes[0], _lab.Files[plan.Sizes[0]].Bytes, stopFile, maxSeconds: 300);
                Thread.Sleep(TimeSpan.FromSeconds(1));
                using var stopSampling = new CancellationTokenSource();
                long peak = 0;
                var sampler = Task.Run(() =>
                {
                    while (!stopSampling.IsCancellationRequested)
                    {
                        peak = Math.Max(peak, stack.ResidentBytes());
                        Thread.Sleep(100);
                    }
                });
                double floodStart = Now();
                var (sent, seconds) = ServeClients.Flood(_lab, stack.Address, stack.Port, plan.FloodSyns, plan.FloodInterval);
                double floodEnd = Now();
                stopSampling.Cancel();
                sampler.Wait();
                Thread.Sleep(TimeSpan.FromSeconds(1));
                File.WriteAllText(stopFile, "");
                var requests = legit.GetAwaiter().GetResult();
                Thread.Sleep(TimeSpan.FromSeconds(4));
                long after = stack.ResidentBytes();
                Add("flood", stack.Name, plan.Sizes[0], 0, 1, "syns_sent", sent);
                Add("flood", stack.Name, plan.Sizes[0], 0, 1, "flood_seconds", seconds);
                var phases = new[]
                {
                    ("before", requests.Where(r => r.Start < floodStart).ToList()),
                    ("during", requests.Where(r => r.Start >= floodStart && r.Start <= floodEnd).ToList()),
                    ("after", requests.Where(r => r.Start > floodEnd).ToList()),
                };
                foreach (var (phase, set) in phases)
                {
                    Add("flood", stack.Name, plan.Sizes[0], 0, 1, $"legit_{phase}", set.Count);
                    Add("flood", stack.Name, plan.Sizes[0], 0, 1, $"legit_{phase}_ok", set.Count(r => r.Ok));
                    var ok = set.Where(r => r.Ok).Select(r => r.Milliseconds).Order().ToList();
                    if (ok.Count == 0) continue;
                    Add("flood", stack.Name, plan.Sizes[0], 0, 1, $"legit_{phase}_p50_ms", Quantile(ok, 0.50));
                    Add("flood", stack.Name, plan.Sizes[0], 0, 1, $"legit_{phase}_p99_ms", Quantile(ok, 0.99));
                }
                Add("flood", stack.Name, plan.Sizes[0], 0, 1, "rss_before", before);
                Add("flood", stack.Name, plan.Sizes[0], 0, 1, "rss_during_peak", peak);
                Add("flood", stack.Name, plan.Sizes[0], 0, 1, "rss_after", after);
                if (AwaitRecovery(stack, floodEnd) is { } recovery) Add("flood", stack.Name, plan.Sizes[0], 0, 1, "recovery_seconds", recovery);
                else Add("flood", stack.Name, plan.Sizes[0], 0, 1, "recovery_not_within_seconds", plan.RecoveryLimit.TotalSeconds);
            }
            finally
            {
                ServeClients.RemoveFloodSource(_lab);
            }
        });
    }

    /// <summary>Seconds from the flood's end until a request (curl, 2 s each, so one SYN retransmission, every half second)
    /// gets a 200; null when none did within the plan's <see cref="ServePlan.RecoveryLimit"/>.</summary>
    private double? AwaitRecovery(ServeServer stack, double floodEnd)
    {
        string url = $"{stack.BaseUrl}/{plan.Sizes[0]}";
        while (Now() - floodEnd < plan.RecoveryLimit.TotalSeconds)
        {
            var (exit, status, _) = Tool.TryRun(["ip", "netns", "exec", _lab.ServerNetns, "curl", "-s", "-o", "/dev/null", "-m", "2", "-w", "%{http_code}", url]);
            if (exit == 0 && status == "200") return Now() - floodEnd;
            Thread.Sleep(500);
        }
        return null;
    }

    private static double Now() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>The nearest-rank quantile of sorted values.</summary>
    private static double Quantile(List<double> sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    private void Add(string test, string server, string size, int connections, int round, string metric, double value) =>
        _samples.Add(new ServeSample(test, server, size, connections, _lab.Offload, round, metric, value));

    /// <summary>Runs one measurement; a failure is noted (and the run goes on), so one server's fault does not lose the others' figures.</summary>
    private void Try(ServeServer server, string what, Action measure)
    {
        try
        {
            measure();
        }
        catch (Exception e) when (e is BenchException or LabException or TimeoutException)
        {
            string note = $"{server.Name}, {what} (offloads {(_lab.Offload ? "on" : "off")}): failed: {e.Message.Split('\n')[0]}";
            Notes.Add(note);
            progress(note);
        }
    }
}
