using System.Runtime.InteropServices;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Measurement;

/// <summary>What the report says about the machine: CPU, kernel, runtime, tool versions, and the load around the run (other work on a shared VM shows there).</summary>
internal sealed record MachineInfo(string Cpu, int Cores, string Os, string Kernel, string Runtime, string Libpcap, string Tcpreplay,
                                   string TcpCongestionControl, string LoadAverageBefore)
{
    public string LoadAverageAfter { get; init; } = "";

    public static MachineInfo Read() => new(
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown",
        Environment.ProcessorCount,
        File.ReadLines("/etc/os-release").FirstOrDefault(line => line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? "unknown",
        File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
        RuntimeInformation.FrameworkDescription,
        FirstLineContaining(Tool.TryRun(["tcpdump", "--version"]), "libpcap"),
        FirstLineContaining(Tool.TryRun(["tcpreplay", "--version"]), "tcpreplay version"),
        File.ReadAllText("/proc/sys/net/ipv4/tcp_congestion_control").Trim(),
        LoadAverage());

    /// <summary>The 1, 5 and 15 minute load averages.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static string FirstLineContaining((int ExitCode, string Output, string Error) run, string text) =>
        (run.Output + run.Error).Split('\n').FirstOrDefault(line => line.Contains(text, StringComparison.Ordinal))?.Trim() ?? "unknown";
}
