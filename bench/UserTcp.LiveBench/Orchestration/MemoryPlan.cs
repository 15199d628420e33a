using System.Globalization;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// The memory measurement's cases: connection counts, each with the library's default buffers or with the receive and send
/// buffers' maxima set to a size (<c>COUNT</c> or <c>COUNTxBYTES</c>, comma-separated), and the active phase's rate per connection.
/// </summary>
internal sealed record MemoryPlan(IReadOnlyList<(int Connections, int? BufferSize)> Cases, int Rate)
{
    public const int MaxConnections = 20_000; // the lab's one server address and port: well inside the ephemeral range

    public static MemoryPlan Parse(string cases, int rate)
    {
        var parsed = cases.Split(',').Select(item =>
        {
            string[] parts = item.Split('x');
            if (parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count is < 1 or > MaxConnections)
                throw new BenchException($"--connections: '{item}' is not COUNT or COUNTxBYTES with COUNT 1..{MaxConnections}");
            int? size = null;
            if (parts.Length == 2)
            {
                if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int bytes) || bytes < 4096 || (bytes & (bytes - 1)) != 0)
                    throw new BenchException($"--connections: '{item}': the buffer size must be a power of two, at least 4096");
                size = bytes;
            }
            return (count, size);
        }).ToList();
        if (rate < 10) throw new BenchException("--rate: at least 10 bytes per second");
        return new MemoryPlan(parsed, rate);
    }
}
