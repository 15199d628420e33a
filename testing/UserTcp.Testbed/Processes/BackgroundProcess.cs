using System.Diagnostics;
using System.Text;

using UserTcp.Testbed.Harness;

namespace UserTcp.Testbed.Processes;

/// <summary>
/// A tool running while the caller works (a ping, a kernel-socket peer, <c>usertcp serve</c>), its output collected line
/// by line as it comes, so the caller can wait for the line that says it is ready; killed on dispose if still running.
/// </summary>
internal sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly StringBuilder _error = new();

    private BackgroundProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_lines)
            {
                _lines.Add(e.Data);
                Monitor.PulseAll(_lines);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (_error) _error.AppendLine(e.Data);
        };
    }

    public static BackgroundProcess Start(string fileName, IEnumerable<string> arguments)
    {
        var started = new BackgroundProcess(new Process { StartInfo = ProcessRunner.StartInfo(fileName, arguments) });
        started._process.Start();
        started._process.BeginOutputReadLine();
        started._process.BeginErrorReadLine();
        return started;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The process id (its /proc entry).</summary>
    public int Id => _process.Id;

    /// <summary>Everything written to stdout and stderr so far, for messages.</summary>
    public string Text => $"stdout:\n{Output}\nstderr:\n{Error}";

    private string Output
    {
        get
        {
            lock (_lines) return string.Concat(_lines.Select(line => line + "\n"));
        }
    }

    private string Error
    {
        get
        {
            lock (_error) return _error.ToString();
        }
    }

    /// <summary>Waits until stdout has a line <paramref name="ready"/> accepts (one printed before the call counts too).</summary>
    public void WaitForLine(Func<string, bool> ready, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        lock (_lines)
        {
            for (int seen = 0; ; seen++)
            {
                while (seen == _lines.Count)
                {
                    var left = timeout - deadline.Elapsed;
                    Expect.True(left > TimeSpan.Zero, $"{Command} printed no line it is ready by within {timeout}:\n{Text}");
                    Monitor.Wait(_lines, left);
                }
                if (ready(_lines[seen])) return;
            }
        }
    }

    /// <summary>Waits for the tool to end and returns its result; fails if it does not end in time.</summary>
    public ProcessResult WaitForExit(TimeSpan timeout)
    {
        Expect.True(_process.WaitForExit(timeout), $"{Command} still running after {timeout}:\n{Text}");
        _process.WaitForExit(); // after this one every output event has arrived
        return new ProcessResult(_process.ExitCode, Output, Error);
    }

    private string Command => ProcessRunner.Display(_process.StartInfo.FileName, _process.StartInfo.ArgumentList);

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
