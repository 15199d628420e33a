using System.Diagnostics;
using System.Runtime.InteropServices;

namespace UserTcp.Fast.Tests.Support;

/// <summary>
/// A fresh network namespace for one test (named <c>utd</c> + 4 random characters, so parallel runs and other people's
/// labs on the same machine never collide), deleted on <see cref="Dispose"/> with everything inside it.
/// </summary>
/// <remarks>
/// Code runs in it two ways: kernel tools through <c>ip netns exec</c>, and our own device code through
/// <see cref="Enter{T}"/>, which moves one dedicated thread into the namespace with setns(2) and back. A socket or a
/// /dev/net/tun descriptor belongs to the namespace it was opened in, whichever thread uses it later, so a device
/// opened inside <see cref="Enter{T}"/> keeps working from the test thread.
/// </remarks>
internal sealed partial class NetworkNamespace : IDisposable
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(20);
    private const int CloneNewNet = 0x4000_0000;
    private const int ReadOnlyCloseOnExec = 0x80000;

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    public static NetworkNamespace Create()
    {
        Repository.RequireRoot();
        string name = "utd" + RandomSuffix();
        ProcessRunner.RunChecked("ip", ["netns", "add", name], ToolTimeout);
        var created = new NetworkNamespace(name);
        try
        {
            created.Exec("ip", "link", "set", "lo", "up");
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    /// <summary>Four lowercase letters and digits: short enough for 15-character interface names built on the namespace's.</summary>
    public static string RandomSuffix() => string.Create(4, 0, static (chars, _) =>
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        for (int i = 0; i < chars.Length; i++) chars[i] = alphabet[Random.Shared.Next(alphabet.Length)];
    });

    /// <summary>Runs a command inside the namespace and asserts it succeeded.</summary>
    public ProcessResult Exec(params string[] command) => ProcessRunner.RunChecked("ip", ["netns", "exec", Name, .. command], ToolTimeout);

    /// <summary>Runs a command inside the namespace, whatever its exit code.</summary>
    public ProcessResult TryExec(TimeSpan timeout, params string[] command) => ProcessRunner.Run("ip", ["netns", "exec", Name, .. command], timeout);

    /// <summary>Starts a command inside the namespace in the background (a ping while the test receives).</summary>
    public BackgroundProcess Start(params string[] command) => BackgroundProcess.Start("ip", ["netns", "exec", Name, .. command]);

    /// <summary>Runs <paramref name="action"/> on a dedicated thread that has entered the namespace; restores the
    /// thread's namespace afterwards even though the thread then ends, so no thread ever leaves in the wrong place.</summary>
    public T Enter<T>(Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            int home = Open("/proc/thread-self/ns/net");
            int target = Open($"/run/netns/{Name}");
            try
            {
                if (setns(target, CloneNewNet) != 0) throw new InvalidOperationException($"setns into {Name} failed: errno {Marshal.GetLastPInvokeError()}");
                try
                {
                    result = action();
                }
                finally
                {
                    if (setns(home, CloneNewNet) != 0) Environment.FailFast($"setns back from {Name} failed: errno {Marshal.GetLastPInvokeError()}");
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                close(target);
                close(home);
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new AggregateException($"inside namespace {Name}", failure);
        return result;
    }

    public void Dispose()
    {
        var result = ProcessRunner.Run("ip", ["netns", "delete", Name], ToolTimeout);
        Assert.True(result.ExitCode == 0, $"could not delete namespace {Name}: {result.Error}");
    }

    private static int Open(string path)
    {
        int fd = open(path, ReadOnlyCloseOnExec);
        if (fd < 0) throw new InvalidOperationException($"open {path} failed: errno {Marshal.GetLastPInvokeError()}");
        return fd;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int namespaceType);
}

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
        Assert.True(_process.WaitForExit(timeout), $"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} still running after {timeout}");
        _process.WaitForExit();
        return new ProcessResult(_process.ExitCode, _output.Result, _error.Result);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
