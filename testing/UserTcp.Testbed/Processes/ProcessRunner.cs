using System.Diagnostics;

using UserTcp.Testbed.Harness;

namespace UserTcp.Testbed.Processes;

/// <summary>Runs external tools (tcpdump, lab scripts, the CLI) with a hard timeout so a hung tool fails the test instead of hanging it.</summary>
internal static class ProcessRunner
{
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}");
        }
        process.WaitForExit();
        return new ProcessResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs and asserts exit code 0, showing the tool's output on failure.</summary>
    public static ProcessResult RunChecked(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var result = Run(fileName, arguments, timeout);
        Expect.True(result.ExitCode == 0,
            $"{fileName} {string.Join(' ', arguments)} exited {result.ExitCode}\nstdout:\n{result.Output}\nstderr:\n{result.Error}");
        return result;
    }
}
