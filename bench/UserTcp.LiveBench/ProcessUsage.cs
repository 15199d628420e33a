using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using System.Text.Json;

namespace UserTcp.LiveBench;

/// <summary>What a measured client process cost, as its parent saw it when the process ended.</summary>
internal sealed record ProcessUsage(int ExitCode, double WallSeconds, double UserSeconds, double SystemSeconds, long MaxResidentKib);
