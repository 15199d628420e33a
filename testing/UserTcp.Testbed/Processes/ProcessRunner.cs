using System.Diagnostics;

using UserTcp.Testbed.Harness;

namespace UserTcp.Testbed.Processes;

/// <summary>
/// Runs external tools (ip, tcpdump, the lab's daemons' tools, the CLI) with a hard deadline, so a hung tool fails the
/// caller instead of hanging it. The one implementation: <see cref="Labs.Tool"/> wraps it for the lab.
/// </summary>
internal static class ProcessRunner
{
    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/>, writing <paramref name="input"/> to its stdin when
    /// given, whatever its exit code. A <see cref="TimeoutException"/> (after killing it) when it runs past
    /// <paramref name="timeout"/>; the <see cref="System.ComponentModel.Win32Exception"/> of <see cref="Process.Start()"/>
    /// when it cannot start.
    /// </summary>
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? input = null)
    {
        using var process = Process.Start(StartInfo(fileName, arguments, redirectInput: input is not null))
                            ?? throw new InvalidOperationException($"could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        // Both the exit and the end of its output must come in time: a daemon it started that kept our pipes open would
        // otherwise hang the caller forever.
        if (!process.WaitForExit(timeout) || !Task.WaitAll([output, error], timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Display(fileName, arguments)} did not finish within {timeout.TotalSeconds:0} s");
        }
        return new ProcessResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs and requires exit code 0, showing the tool's output on failure (a <see cref="TestbedException"/>).</summary>
    public static ProcessResult RunChecked(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var result = Run(fileName, arguments, timeout);
        Expect.True(result.ExitCode == 0,
            $"{Display(fileName, arguments)} exited {result.ExitCode}\nstdout:\n{result.Output}\nstderr:\n{result.Error}");
        return result;
    }

    /// <summary>How every tool is started: no shell, stdout and stderr captured.</summary>
    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, bool redirectInput = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        return info;
    }

    /// <summary>The command line as a user would type it (arguments with spaces quoted), for messages.</summary>
    public static string Display(string fileName, IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Prepend(fileName).Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));
}
