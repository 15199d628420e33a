using System.Diagnostics;
using UserTcp.LiveBench.Measurement;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>When a measuring command started and on what machine: what its report says about the run besides the results.</summary>
internal sealed class RunStart
{
    // Initialised in this order: the machine (its load average before the run), then the start, then the clock.
    private readonly MachineInfo _machine = MachineInfo.Read();
    public DateTimeOffset At { get; } = DateTimeOffset.UtcNow;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The machine, with the load average read again now that the run is over.</summary>
    public MachineInfo MachineAfter() => _machine with { LoadAverageAfter = MachineInfo.LoadAverage() };
}
