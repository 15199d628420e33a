using System.Diagnostics;

namespace UserTcp.Fast.Tests.Support;

public sealed record ProcessResult(int ExitCode, string Output, string Error);

/// <summary>Runs external tools (tcpdump, lab scripts, the CLI) with a hard timeout so a hung tool fails the test instead of hanging it.</summary>
public static class ProcessRunner
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
        Assert.True(result.ExitCode == 0,
            $"{fileName} {string.Join(' ', arguments)} exited {result.ExitCode}\nstdout:\n{result.Output}\nstderr:\n{result.Error}");
        return result;
    }
}

/// <summary>Paths of the repository and a guard for tests that need root (lab namespaces): they fail, never skip.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "UserTcp.Fast.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (UserTcp.Fast.sln) not found above " + AppContext.BaseDirectory);
    }

    public static void RequireRoot() =>
        Assert.True(Environment.UserName == "root" || geteuid() == 0,
            "this lab test builds network namespaces and must run as root (CI does); it fails rather than skips");

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
