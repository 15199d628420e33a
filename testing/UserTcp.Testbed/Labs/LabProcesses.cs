using System.Diagnostics;
using UserTcp.Fast.Native;

namespace UserTcp.Testbed.Labs;

/// <summary>Finds and ends the processes a lab owns: its daemons, and whatever still runs inside its namespaces.</summary>
internal static class LabProcesses
{
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(3);

    /// <summary>True when <paramref name="pid"/> is a live nginx master started with <paramref name="configFile"/>, not a recycled pid.</summary>
    public static bool IsNginxWith(int pid, string configFile) => IsRunningWith(pid, "nginx: master process", configFile);

    /// <summary>True when <paramref name="pid"/> is a live dnsmasq started with <paramref name="pidFile"/>, not a recycled pid.</summary>
    public static bool IsDnsmasqWith(int pid, string pidFile) => IsRunningWith(pid, "dnsmasq ", pidFile);

    /// <summary>True when <paramref name="pid"/> is live, its command line starts with <paramref name="commandPrefix"/> and holds <paramref name="argument"/>.</summary>
    public static bool IsRunningWith(int pid, string commandPrefix, string argument)
    {
        try
        {
            string commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            return IsAlive(pid) && commandLine.StartsWith(commandPrefix, StringComparison.Ordinal) && commandLine.Contains(argument);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>True while <paramref name="pid"/> runs: a zombie keeps its /proc entry until reaped, but it is gone.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // The state letter follows the command name in parentheses, which may itself contain spaces.
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM to everything <paramref name="running"/> lists, then SIGKILL to what is left after a grace period.</summary>
    public static void Terminate(Func<IReadOnlyList<int>> running, string what)
    {
        foreach (int signal in new[] { Libc.SIGTERM, Libc.SIGKILL })
        {
            var pids = running();
            if (pids.Count == 0) return;
            foreach (int pid in pids) _ = Libc.Kill(pid, signal);
            if (WaitUntilGone(running)) return;
        }
        throw new LabException($"{what}: processes {string.Join(' ', running())} survived SIGKILL");
    }

    private static bool WaitUntilGone(Func<IReadOnlyList<int>> running)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < GracePeriod)
        {
            if (running().Count == 0) return true;
            Thread.Sleep(20);
        }
        return running().Count == 0;
    }
}
