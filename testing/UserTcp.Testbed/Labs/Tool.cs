using System.ComponentModel;

using UserTcp.Testbed.Processes;

namespace UserTcp.Testbed.Labs;

/// <summary>
/// Runs the lab's system tools (ip, nginx, nft, tc, ethtool, nstat) through <see cref="ProcessRunner"/> with a deadline and
/// a checked exit code. A failure is a <see cref="LabException"/> naming the command line, its exit code and its stderr,
/// so the user sees which step broke.
/// </summary>
internal static class Tool
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="command"/> (program first) and returns its stdout; throws unless it exits 0.</summary>
    public static string Run(IReadOnlyList<string> command, string? input = null)
    {
        var result = TryRun(command, input);
        if (result.ExitCode != 0)
        {
            string stderr = result.Error.Trim();
            throw new LabException($"`{Display(command)}` failed (exit {result.ExitCode}): {(stderr.Length > 0 ? stderr : result.Output.Trim())}" +
                                   (input is null ? "" : $"\ninput was:\n{input}"));
        }
        return result.Output;
    }

    /// <summary>Runs <paramref name="command"/> inside network namespace <paramref name="netns"/>.</summary>
    public static string RunIn(string netns, IReadOnlyList<string> command, string? input = null) =>
        Run(["ip", "netns", "exec", netns, .. command], input);

    /// <summary>Runs <paramref name="command"/> and reports its exit code instead of throwing on a non-zero one.</summary>
    public static (int ExitCode, string Output, string Error) TryRun(IReadOnlyList<string> command, string? input = null)
    {
        try
        {
            var result = ProcessRunner.Run(command[0], command.Skip(1), Deadline, input);
            return (result.ExitCode, result.Output, result.Error);
        }
        catch (Win32Exception e)
        {
            throw new LabException($"`{Display(command)}` could not start ({e.Message}); is {command[0]} installed? (bash scripts/setup.sh installs the lab's tools)", e);
        }
        catch (TimeoutException)
        {
            throw new LabException($"`{Display(command)}` did not finish within {Deadline.TotalSeconds:0} s");
        }
    }

    /// <summary>Where <paramref name="program"/> would be found on PATH, or null.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    private static string Display(IReadOnlyList<string> command) => ProcessRunner.Display(command[0], command.Skip(1));
}
