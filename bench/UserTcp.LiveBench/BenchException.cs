namespace UserTcp.LiveBench;

/// <summary>A failure of the measurement itself (a tool, the lab, a transfer): the harness exits 1 with its message.</summary>
internal sealed class BenchException(string message) : Exception(message);
