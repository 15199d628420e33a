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
                var run = stack.AwaitResult(MemoryJson.Default.MemoryRun);
                runs.Add(run);
                if (run.NotClosed is { } notClosed) progress($"{run.Reset} not closed by the server, reset; the first: {notClosed}");
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
}
