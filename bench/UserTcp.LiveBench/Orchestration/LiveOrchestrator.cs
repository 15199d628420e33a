using System.Globalization;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Results;
using UserTcp.LiveBench.Roles;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// Brings up a lab of its own, measures every case of the plan in fresh stack processes (<see cref="StackRoles"/>), and
/// always removes the lab. Cases: downloads from nginx with offloads on and off; the recorded download's server frames
/// replayed into the same connection at several rates; UDP sends.
/// </summary>
internal sealed class LiveOrchestrator(LivePlan plan, string labName, string workDirectory, Action<string> progress)
{
    private readonly LabOptions _labOptions = new() { Name = labName, Files = plan.Files };
    private LabInfo _lab = null!;

    public LiveResults Run()
    {
        try
        {
            progress($"lab {labName}: up (files {plan.Files})");
            _lab = Lab.Up(_labOptions).Lab;
            var downloads = plan.DownloadOffloads.Select(MeasureDownloads).ToList();
            var (recording, capture) = Record();
            var replays = plan.ReplayRates.Select(rate => MeasureReplays(rate, capture)).ToList();
            var sends = plan.SendPayloads.Select(MeasureSends).ToList();
            return new LiveResults(plan, downloads, recording, capture.DataFrames, replays, sends);
        }
        finally
        {
            progress($"lab {labName}: down");
            Lab.Down(labName);
        }
    }

    private void Configure(bool offload, bool serverDeaf) =>
        _lab = Lab.Up(_labOptions with { Offload = offload, LossUpPercent = serverDeaf ? 100 : 0 }).Lab;

    private DownloadCase MeasureDownloads(bool offload)
    {
        progress($"download {plan.DownloadPath}, offloads {(offload ? "on" : "off")}: {plan.Runs} runs + 1 traced");
        Configure(offload, serverDeaf: false);
        var before = Lab.ServerCounters(labName);
        var measured = Measure(traced => RunOnce(traced, "download", "--path", plan.DownloadPath, "--warmup-path", plan.WarmupPath));
        var after = Lab.ServerCounters(labName);
        long Delta(string counter) => after.GetValueOrDefault(counter) - before.GetValueOrDefault(counter);
        return new DownloadCase(offload, FileBytes(plan.DownloadPath), measured, Delta("TcpOutRsts") + Delta("TcpEstabResets"), Delta("TcpRetransSegs"));
    }

    /// <summary>
    /// One download with offloads off (so every frame fits the veth's MTU and carries a full checksum, as a replayed frame
    /// must), recorded by the stack's own --pcap tee with the replayable identity.
    /// </summary>
    private (RunResult Recording, ServerCapture Capture) Record()
    {
        progress($"recording {plan.DownloadPath} with offloads off for the replay");
        Configure(offload: false, serverDeaf: false);
        string recording = Path.Combine(workDirectory, "recorded-download.pcap");
        using var stack = Start("download", "--path", plan.DownloadPath, "--pcap", recording, "--replayable");
        stack.AwaitReady();
        stack.Say(StackRoles.Go);
        var result = stack.AwaitResult();
        stack.Finish();
        var capture = ServerCapture.Split(recording, workDirectory);
        File.Delete(recording);
        return (result, capture);
    }

    private ReplayCase MeasureReplays(int? rate, ServerCapture capture)
    {
        long frames = rate is { } fixedRate ? Math.Min(capture.DataFrames, (long)(fixedRate * plan.FixedRateDuration.TotalSeconds)) : capture.DataFrames;
        progress($"replay {frames} frames at {ReplayCase.RateTextOf(rate)}: {plan.Runs} runs + 1 traced");
        var measured = Measure(traced =>
        {
            using var stack = Start("replay", "--warmup-path", plan.WarmupPath, "--recorded-path", plan.DownloadPath,
                                    "--expect", frames.ToString(CultureInfo.InvariantCulture));
            try
            {
                stack.AwaitReady();
                // From here the server's kernel drops whatever the stack sends: only the replay answers it.
                Configure(offload: false, serverDeaf: true);
                stack.Say(StackRoles.Go);
                stack.Expect(StackRoles.SynSent);
                Replayer.Play(_lab, capture.SynAckFile, framesPerSecond: null);
                stack.Expect(StackRoles.Established);
                using var tracer = traced ? SyscallCounter.Attach(stack.Pid) : null;
                var replay = Replayer.Play(_lab, capture.DataFile, rate, frames);
                var result = stack.AwaitResult();
                var syscalls = tracer?.Stop();
                stack.Finish();
                return (new ReplayRun(result, replay), syscalls);
            }
            finally
            {
                Configure(offload: false, serverDeaf: false);
            }
        });
        return new ReplayCase(rate, frames, measured);
    }

    private SendCase MeasureSends(int payload)
    {
        progress($"send {payload}-byte UDP payloads: {plan.Runs} runs + 1 traced");
        Configure(offload: false, serverDeaf: true);
        try
        {
            var measured = Measure(traced =>
            {
                long frames = traced ? plan.TracedSendFrames : plan.SendFrames;
                return RunOnce(traced, "send", "--payload", payload.ToString(CultureInfo.InvariantCulture),
                               "--frames", frames.ToString(CultureInfo.InvariantCulture),
                               "--warmup", plan.SendWarmupFrames.ToString(CultureInfo.InvariantCulture));
            });
            return new SendCase(payload, measured);
        }
        finally
        {
            Configure(offload: false, serverDeaf: false);
        }
    }

    /// <summary>Runs a case <see cref="LivePlan.Runs"/> times, then once traced.</summary>
    private CaseRuns<TRun> Measure<TRun>(Func<bool, (TRun Run, Dictionary<string, long>? Syscalls)> runOnce)
    {
        var runs = Enumerable.Range(0, plan.Runs).Select(_ => runOnce(false).Run).ToList();
        var (traced, syscalls) = runOnce(true);
        return new CaseRuns<TRun>(runs, traced, syscalls ?? throw new BenchException("the traced run returned no system call counts"));
    }

    /// <summary>
    /// One run of a role that measures from go to its result: waits for the stack to be ready, says go (under strace when
    /// asked), takes the result and lets the process exit.
    /// </summary>
    private (RunResult, Dictionary<string, long>?) RunOnce(bool traced, string role, params string[] arguments)
    {
        using var stack = Start(role, arguments);
        stack.AwaitReady();
        using var tracer = traced ? SyscallCounter.Attach(stack.Pid) : null;
        stack.Say(StackRoles.Go);
        var result = stack.AwaitResult();
        var syscalls = tracer?.Stop();
        stack.Finish();
        return (result, syscalls);
    }

    private StackProcess Start(string role, params string[] arguments) =>
        StackProcess.Start(_lab.ClientNetns, role, ["--lab", labName, .. arguments]);

    private long FileBytes(string path) => _lab.Files[path.TrimStart('/')].Bytes;
}
