using System.Globalization;

namespace UserTcp.LiveBench.Results;

/// <summary>The recorded download replayed at one rate (null: tcpreplay's full speed).</summary>
internal sealed record ReplayCase(int? FramesPerSecond, long Frames, CaseRuns<ReplayRun> Measured)
{
    public string RateText => RateTextOf(FramesPerSecond);

    public static string RateTextOf(int? framesPerSecond) =>
        framesPerSecond is { } rate ? string.Create(CultureInfo.InvariantCulture, $"{rate:N0} frames/s") : "full speed";
}
