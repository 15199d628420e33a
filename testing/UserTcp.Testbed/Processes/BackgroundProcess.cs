using System.Diagnostics;
using System.Runtime.InteropServices;

using UserTcp.Testbed.Harness;

namespace UserTcp.Testbed.Processes;

/// <summary>A tool running while the test works; killed on dispose if it is still running.</summary>
internal sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _output;
    private readonly Task<string> _error;

    private BackgroundProcess(Process process)
    {
        _process = process;
        _output = process.StandardOutput.ReadToEndAsync();
        _error = process.StandardError.ReadToEndAsync();
    }

    public static BackgroundProcess Start(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        return new BackgroundProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}"));
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the tool to end and returns its result; fails the test if it does not end in time.</summary>
    public ProcessResult WaitForExit(TimeSpan timeout)
    {
        Expect.True(_process.WaitForExit(timeout), $"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} still running after {timeout}");
        _process.WaitForExit();
        return new ProcessResult(_process.ExitCode, _output.Result, _error.Result);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
