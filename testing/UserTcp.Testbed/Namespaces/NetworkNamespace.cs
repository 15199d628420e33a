using System.Diagnostics;
using System.Runtime.InteropServices;
using UserTcp.Testbed.Harness;
using UserTcp.Testbed.Processes;

namespace UserTcp.Testbed.Namespaces;

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

    private const string ReentryMarker = "USERTCP_NETNS";

    /// <summary>Whether this process is the re-run of a command inside <paramref name="netns"/> (<see cref="RunSelfInside"/>).</summary>
    public static bool IsSelfInside(string netns) => Environment.GetEnvironmentVariable(ReentryMarker) == netns;

    /// <summary>
    /// Runs this same command line inside <paramref name="netns"/> (<c>ip netns exec</c>, which also gives it that namespace's
    /// /sys, where devices read their MAC and MTU) and returns its exit code. The child is marked by an environment variable
    /// so it runs for real instead of re-entering again.
    /// </summary>
    public static int RunSelfInside(string netns)
    {
        var info = new ProcessStartInfo("ip") { UseShellExecute = false };
        info.ArgumentList.Add("netns");
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(netns);
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path");
        var args = Environment.GetCommandLineArgs();
        info.ArgumentList.Add(self);
        // Under the dotnet host the first argument is the assembly; under the apphost it is this program again.
        bool dotnetHost = System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet";
        foreach (var arg in dotnetHost ? args : args.Skip(1)) info.ArgumentList.Add(arg);
        info.Environment[ReentryMarker] = netns;
        using var child = Process.Start(info) ?? throw new InvalidOperationException("could not start ip netns exec");
        child.WaitForExit();
        return child.ExitCode;
    }

    public void Dispose()
    {
        var result = ProcessRunner.Run("ip", ["netns", "delete", Name], ToolTimeout);
        Expect.True(result.ExitCode == 0, $"could not delete namespace {Name}: {result.Error}");
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
