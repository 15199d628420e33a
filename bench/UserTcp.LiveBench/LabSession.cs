using System.Runtime.InteropServices;
using UserTcp.Cli.Labs;

namespace UserTcp.LiveBench;

/// <summary>What every harness command that owns a lab shares: root and tools, a unique lab name, a work directory, and cleanup on interruption.</summary>
internal static class LabSession
{
    public static void RequireRootAndTools(params string[] tools)
    {
        if (!Environment.IsPrivilegedProcess) throw new BenchException("needs root (network namespaces, packet sockets, strace)");
        var missing = tools.Where(tool => Tool.Find(tool) is null).ToList();
        if (missing.Count > 0) throw new BenchException($"missing tools: {string.Join(", ", missing)} (bash scripts/setup.sh installs them)");
    }

    /// <summary><c>--lab</c>, or <paramref name="prefix"/> and six random hex digits: two runs on one machine never share a lab.</summary>
    public static string LabName(BenchArguments arguments, string prefix) =>
        arguments.Optional("--lab") ?? prefix + Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];

    /// <summary>
    /// Runs <paramref name="measure"/> with a fresh work directory, which is always deleted. Ctrl+C or a kill must not leave
    /// lab <paramref name="labName"/> behind either: its namespaces would hold nginx and stack processes, so then it goes too.
    /// </summary>
    public static void Run(string labName, Action<string> measure)
    {
        string work = Directory.CreateTempSubdirectory("livebench-").FullName;
        void Interrupted(PosixSignalContext context)
        {
            context.Cancel = true;
            Console.Error.WriteLine($"livebench: interrupted; removing lab {labName}");
            Lab.Down(labName);
            Directory.Delete(work, recursive: true);
            Environment.Exit(130);
        }
        using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupted);
        using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupted);
        try
        {
            measure(work);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
