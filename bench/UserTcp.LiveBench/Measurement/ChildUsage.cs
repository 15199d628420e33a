using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using UserTcp.Fast.Native;
using UserTcp.LiveBench.Orchestration;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Measurement;

/// <summary>
/// Runs one client process (curl, <c>usertcp get</c>) and reads what it cost: wall time, user and system CPU time and
/// peak resident set. Those are known exactly to whoever reaps the process (wait4, RUSAGE_CHILDREN), and .NET's
/// <see cref="Process"/> reaps its children itself, so the orchestrator cannot read them for its own children. Hence
/// a wrapper, <c>UserTcp.LiveBench rusage COMMAND…</c> (<see cref="RunAndReport"/>), whose only child is GNU time running
/// the command: its RUSAGE_CHILDREN is the command's CPU time to the microsecond (GNU time prints hundredths of a second,
/// and a 10 MiB curl uses about 20 ms), descendants it waited for included, plus GNU time's own fork and exec (under a millisecond, the same for every client, and part of the
/// fixed cost the report subtracts). GNU time is there for the peak resident set: at exec the kernel folds the memory the
/// process had before it (a copy of its parent's) into ru_maxrss, so a curl started straight from this 29 MiB .NET
/// process would read 29 MiB; GNU time is a small C process, whose ~2 MiB is the floor instead. The wrapper prints the
/// figures as one line after the command's own output.
/// </summary>
internal static class ChildUsage
{
    private const string Prefix = "rusage ";

    /// <summary>The wrapper: runs <paramref name="command"/> under GNU time with this process's standard streams, prints its usage, exits with its code.</summary>
    public static int RunAndReport(IReadOnlyList<string> command)
    {
        if (command.Count == 0) throw new BenchException("rusage needs a command to run");
        string gnuTime = Tool.Find("time") ?? throw new BenchException("GNU time is missing (bash scripts/setup.sh installs the time package)");
        string peakFile = Path.GetTempFileName();
        try
        {
            var info = new ProcessStartInfo(gnuTime) { UseShellExecute = false };
            foreach (string argument in new[] { "-f", "%M", "-o", peakFile }.Concat(command)) info.ArgumentList.Add(argument);
            var clock = Stopwatch.StartNew();
            using var child = Process.Start(info) ?? throw new BenchException($"could not start {gnuTime}");
            child.WaitForExit();
            double wall = clock.Elapsed.TotalSeconds;
            var children = ResourceUsage.Of(Libc.RUSAGE_CHILDREN);
            // GNU time writes "Command exited with non-zero status N" first when it did; the format's line is the last.
            string peak = File.ReadAllLines(peakFile).LastOrDefault(line => line.Length > 0) ?? "";
            if (!long.TryParse(peak, NumberStyles.None, CultureInfo.InvariantCulture, out long maxResidentKib))
                throw new BenchException($"GNU time wrote no peak resident set for `{string.Join(' ', command)}`: '{peak}'");
            var usage = new ProcessUsage(child.ExitCode, wall, children.User.TotalSeconds, children.System.TotalSeconds, maxResidentKib);
            Console.Out.WriteLine(Prefix + JsonSerializer.Serialize(usage, ProcessUsageJson.Default.ProcessUsage));
            return child.ExitCode;
        }
        finally
        {
            File.Delete(peakFile);
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> under the wrapper and returns its usage and what it printed (the usage line
    /// removed); a process that is still running after <paramref name="timeout"/> is killed and the run fails.
    /// </summary>
    public static (ProcessUsage Usage, string Output, string Error) Run(IReadOnlyList<string> command, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(StackProcess.SelfCommand()[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in StackProcess.SelfCommand().Skip(1).Append("rusage").Concat(command)) info.ArgumentList.Add(argument);
        using var wrapper = Process.Start(info) ?? throw new BenchException("could not start the rusage wrapper");
        var output = wrapper.StandardOutput.ReadToEndAsync();
        var error = wrapper.StandardError.ReadToEndAsync();
        if (!wrapper.WaitForExit(timeout))
        {
            wrapper.Kill(entireProcessTree: true);
            throw new BenchException($"`{string.Join(' ', command)}` did not finish within {timeout.TotalSeconds:0} s");
        }
        wrapper.WaitForExit();
        var lines = output.Result.Split('\n');
        string usageLine = lines.LastOrDefault(line => line.StartsWith(Prefix, StringComparison.Ordinal))
            ?? throw new BenchException($"`{string.Join(' ', command)}` ended without a usage line (exit {wrapper.ExitCode}):\n{output.Result}{error.Result}");
        var usage = JsonSerializer.Deserialize(usageLine[Prefix.Length..], ProcessUsageJson.Default.ProcessUsage)
            ?? throw new BenchException("the wrapper printed an empty usage line");
        return (usage, string.Join('\n', lines.Where(line => line != usageLine)), error.Result);
    }
}
