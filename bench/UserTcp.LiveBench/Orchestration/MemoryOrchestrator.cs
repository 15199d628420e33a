using System.Globalization;
using UserTcp.LiveBench.Results;
using UserTcp.LiveBench.Roles;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// Memory per connection: brings up a lab of its own, starts the <see cref="HoldServer"/> in its server namespace, runs
/// one fresh stack process per connection count (the memory-stack role) and always removes the lab.
/// </summary>
internal sealed class MemoryOrchestrator(MemoryPlan plan, string labName, Action<string> progress)
{
    public List<MemoryRun> Run()
    {
        try
        {
            progress($"lab {labName}: up");
            var lab = Lab.Up(new LabOptions { Name = labName }).Lab;
            using var server = HoldServer.Start(lab, plan.Rate);
            var runs = new List<MemoryRun>();
            foreach (var (count, bufferSize) in plan.Cases)
            {
                progress($"{count} connections{(bufferSize is { } b ? $" with {b}-byte buffers" : "")}: idle, receiving {plan.Rate} B/s each, TIME-WAIT");
                var arguments = new List<string> { "--lab", labName, "--connections", count.ToString(CultureInfo.InvariantCulture), "--rate", plan.Rate.ToString(CultureInfo.InvariantCulture) };
                if (bufferSize is { } size) arguments.AddRange(["--buffer-size", size.ToString(CultureInfo.InvariantCulture)]);
                using var stack = StackProcess.Start(lab.ClientNetns, "memory-stack", arguments);
                stack.AwaitReady();
                stack.Say(StackRoles.Go);
                using var sockets = new ServerSockets(lab.ServerNetns);
                var run = stack.AwaitResult(MemoryJson.Default.MemoryRun);
                runs.Add(run);
                if (run.NotClosed is { } notClosed)
                    progress($"{run.Reset} not closed by the server, reset; the stack's view of the first: {notClosed}; the server's sockets shortly before: {sockets.Last}");
                stack.Finish();
                if (server.Errors is { Length: > 0 } errors) progress($"hold server: {errors}");
            }
            return runs;
        }
        finally
        {
            progress($"lab {labName}: down");
            Lab.Down(labName);
        }
    }

    /// <summary>The server namespace's sockets on the hold server's port every 5 s while a case runs (states, with bytes
    /// not yet read by the server or not yet acknowledged by the stack, and the listener's accept queue), so a case whose
    /// connections the server never closed can say where they were, and the server's TCP counters of listen overflows.</summary>
    private sealed class ServerSockets : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _sampler;

        public ServerSockets(string netns) => _sampler = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                var (_, established, _) = Tool.TryRun(["ip", "netns", "exec", netns, "ss", "-Htn", $"( sport = :{HoldServer.Port} )"]);
                var (_, listening, _) = Tool.TryRun(["ip", "netns", "exec", netns, "ss", "-Hltn", $"( sport = :{HoldServer.Port} )"]);
                var states = established.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    .GroupBy(fields => $"{fields[0]}{(fields[1] != "0" ? " unread" : "")}{(fields[2] != "0" ? " unacknowledged" : "")}").Select(g => $"{g.Count()} {g.Key}");
                var (_, counters, _) = Tool.TryRun(["ip", "netns", "exec", netns, "nstat", "-asz", "TcpExtListenOverflows", "TcpExtListenDrops"]);
                Last = $"{string.Join(", ", states)}; listener (state, accept queue, backlog): {listening.Trim()}; " +
                       string.Join(", ", counters.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => line.StartsWith("TcpExt", StringComparison.Ordinal))
                           .Select(line => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(2))));
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });

        public string Last { get; private set; } = "";

        public void Dispose()
        {
            _stop.Cancel();
            _sampler.Wait();
            _stop.Dispose();
        }
    }
}
