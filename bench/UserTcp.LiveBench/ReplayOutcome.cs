using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;

namespace UserTcp.LiveBench;

/// <summary>What tcpreplay reported for one replay.</summary>
internal sealed record ReplayOutcome(long Frames, double Seconds, double FramesPerSecond, long Failed);
