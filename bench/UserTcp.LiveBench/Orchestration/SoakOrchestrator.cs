using System.Diagnostics;
using System.Globalization;
using UserTcp.LiveBench.Results;
using UserTcp.LiveBench.Roles;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// The soak: brings up a lab of its own with nginx serving <see cref="Files"/>, runs one stack process (the soak-stack
/// role) for the whole run and changes the link's loss (both ways) and rate at random about every
/// <see cref="SoakPlan.ChangeEvery"/>; always removes the lab.
/// </summary>
internal sealed class SoakOrchestrator(SoakPlan plan, string labName, Action<string> progress)
{
    public const string Files = "4K,64K,1M,8M,32M,64M";
    /// <summary>Loss in percent, each way; rates for tbf (null: unlimited). Loss and rate are drawn independently.</summary>
    private static readonly decimal[] Losses = [0m, 0m, 0.1m, 0.5m, 1m, 3m];
    private static readonly string?[] Rates = [null, null, "1gbit", "200mbit", "50mbit", "5mbit"];

    public List<SoakCondition> Conditions { get; } = new();

    public SoakRun Run()
    {
        var options = new LabOptions { Name = labName, Files = Files };
        try
        {
            progress($"lab {labName}: up");
            var lab = Lab.Up(options).Lab;
            using var stack = StackProcess.Start(lab.ClientNetns, "soak-stack",
                ["--lab", labName, "--minutes", plan.Minutes.ToString(CultureInfo.InvariantCulture),
                 "--sample-seconds", ((int)plan.SampleEvery.TotalSeconds).ToString(CultureInfo.InvariantCulture)]);
            stack.AwaitReady();
            var clock = Stopwatch.StartNew();
            Conditions.Add(new SoakCondition(0, 0, "unlimited"));
            stack.Say(StackRoles.Go);
            using var stop = new CancellationTokenSource();
            var changer = Task.Run(() => ChangeConditions(options, clock, stop.Token));
            var samples = new List<SoakSample>();
            try
            {
                for (int i = 0; i < plan.Samples; i++)
                {
                    var sample = System.Text.Json.JsonSerializer.Deserialize(stack.Expect(StackRoles.SamplePrefix), SoakJson.Default.SoakSample)!;
                    SoakCondition now;
                    lock (Conditions) now = Conditions[^1];
                    samples.Add(sample with { LossPercent = now.LossPercent, Rate = now.Rate });
                    progress($"{sample.Seconds / 60:0.0} min: {sample.Downloads} downloads, {sample.Failed} failed, {sample.SlowReads} slow reads, " +
                             $"{sample.Aborted} aborted; RSS {sample.RssBytes >> 20} MiB, {sample.Descriptors} fds, heap {sample.HeapBytes >> 20} MiB, {sample.Threads} threads; " +
                             $"link: loss {now.LossPercent} %, rate {now.Rate}");
                }
            }
            finally
            {
                stop.Cancel();
                changer.Wait();
            }
            var run = stack.AwaitResult(SoakJson.Default.SoakRun);
            stack.Finish();
            // The samples as the orchestrator annotated them (with the link at each), the stack's failures as it saw them.
            return run with { Samples = samples };
        }
        finally
        {
            progress($"lab {labName}: down");
            Lab.Down(labName);
        }
    }

    /// <summary>Reconfigures the lab in place at random intervals (0.75 to 1.25 times the plan's) until stopped.</summary>
    private void ChangeConditions(LabOptions options, Stopwatch clock, CancellationToken stop)
    {
        var random = new Random(plan.Seed);
        while (!stop.WaitHandle.WaitOne(plan.ChangeEvery * (0.75 + random.NextDouble() / 2)))
        {
            decimal loss = Losses[random.Next(Losses.Length)];
            string? rate = Rates[random.Next(Rates.Length)];
            Lab.Up(options with { LossPercent = loss, LossUpPercent = loss, Rate = rate });
            lock (Conditions) Conditions.Add(new SoakCondition(clock.Elapsed.TotalSeconds, loss, rate ?? "unlimited"));
        }
    }
}
