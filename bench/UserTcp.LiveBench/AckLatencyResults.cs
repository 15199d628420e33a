using System.Globalization;
using System.Text.Json;
using UserTcp.Fast.Wire;

namespace UserTcp.LiveBench;

internal sealed record AckLatencyResults(AckLatencyPlan Plan, IReadOnlyList<AckRun> Runs, CaptureCounts Capture, int UnreadableFrames);
