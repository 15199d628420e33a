using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Roles;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// One measured stack process (<see cref="StackRoles"/>) started inside the lab's client namespace with
/// <c>ip netns exec</c>.
/// </summary>
internal sealed class StackProcess : IDisposable
{
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(150);
    private readonly Process _process;
    private readonly BlockingCollection<string?> _lines = new();
    private readonly StringBuilder _errors = new();
    private readonly string _description;

    private StackProcess(Process process, string description)
    {
        _process = process;
        _description = description;
        process.OutputDataReceived += (_, e) => _lines.Add(e.Data);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_errors) _errors.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The stack's process id, as it said in its ready line (strace attaches to it).</summary>
    public int Pid { get; private set; }

    public static StackProcess Start(string clientNetns, string role, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "netns", "exec", clientNetns }.Concat(SelfCommand()).Append(role).Concat(arguments))
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new BenchException("could not start ip netns exec");
        return new StackProcess(process, $"{role} {string.Join(' ', arguments)}");
    }

    /// <summary>Waits for the ready line and takes the process id from it.</summary>
    public void AwaitReady()
    {
        string rest = Expect(StackRoles.Ready);
        Pid = int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Waits for a line starting with <paramref name="prefix"/>; returns what follows it.</summary>
    public string Expect(string prefix)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var left = LineTimeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero || !_lines.TryTake(out string? line, left))
                throw Failure($"no '{prefix}' within {LineTimeout.TotalSeconds:0} s");
            if (line is null)
            {
                _process.WaitForExit();
                throw Failure($"exited {_process.ExitCode} before saying '{prefix}'");
            }
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..].Trim();
        }
    }

    public void Say(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public RunResult AwaitResult() => AwaitResult(RunResultJson.Default.RunResult);

    /// <summary>Waits for the result line and reads the JSON that follows it as <typeparamref name="T"/>.</summary>
    public T AwaitResult<T>(JsonTypeInfo<T> contract) =>
        JsonSerializer.Deserialize(Expect(StackRoles.ResultPrefix), contract) ?? throw Failure("sent an empty result");

    /// <summary>Lets the process exit and checks that it did so cleanly.</summary>
    public void Finish()
    {
        Say(StackRoles.Exit);
        if (!_process.WaitForExit(TimeSpan.FromSeconds(30))) throw Failure("did not exit");
        _process.WaitForExit();
        if (_process.ExitCode != 0) throw Failure($"exited {_process.ExitCode}");
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private BenchException Failure(string what)
    {
        string errors;
        lock (_errors) errors = _errors.ToString().Trim();
        return new BenchException($"stack process ({_description}) {what}{(errors.Length > 0 ? ":\n" + errors : "")}");
    }

    /// <summary>This program again: under the dotnet host the assembly must be named; an apphost runs itself.</summary>
    public static string[] SelfCommand()
    {
        string self = Environment.ProcessPath ?? throw new BenchException("cannot find this program's path");
        return Path.GetFileNameWithoutExtension(self) == "dotnet" ? [self, Assembly.GetExecutingAssembly().Location] : [self];
    }
}
