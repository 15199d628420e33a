using UserTcp.Fast.Native;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Testbed.Namespaces;

/// <summary>
/// A network namespace. <see cref="Create"/> makes a fresh one for one test (its prefix + random characters, so parallel
/// runs and other people's labs on the same machine never collide), deleted on <see cref="Dispose"/> with everything
/// inside it. The static <see cref="Add"/> and <see cref="Remove"/> are the one way the testbed makes and removes any
/// namespace, the lab's named ones included; failures are <see cref="LabException"/>s, as for the rest of the lab.
/// </summary>
/// <remarks>
/// Code runs in it three ways: kernel tools through <c>ip netns exec</c>; our own device code through
/// <see cref="Enter{T}"/>, which moves one dedicated thread into the namespace with setns(2) and back; and a command that
/// runs the stack there through <see cref="MoveCallingThread"/>, which moves its main thread for good. A socket or a
/// /dev/net/tun descriptor belongs to the namespace it was opened in, whichever thread uses it later, so a device
/// opened inside <see cref="Enter{T}"/> keeps working from the test thread.
/// </remarks>
internal sealed class NetworkNamespace : IDisposable
{
    private const string Root = "/run/netns";

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>A fresh namespace named <paramref name="prefix"/> and four random characters; needs root.</summary>
    public static NetworkNamespace Create(string prefix = "utd")
    {
        Repository.RequireRoot();
        string name = prefix + RandomSuffix();
        Add(name);
        return new NetworkNamespace(name);
    }

    /// <summary>
    /// Makes namespace <paramref name="name"/>: IPv6 off before any interface exists in it (so no neighbour discovery or MLD
    /// frame ever appears on a test link), loopback up. Removed again when a step fails.
    /// </summary>
    public static void Add(string name)
    {
        Tool.Run(["ip", "netns", "add", name]);
        try
        {
            Tool.RunIn(name, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
            Tool.Run(["ip", "-n", name, "link", "set", "lo", "up"]);
        }
        catch
        {
            Remove(name);
            throw;
        }
    }

    /// <summary>
    /// Removes namespace <paramref name="name"/> and with it its interfaces, nftables rules and qdiscs. Whatever still runs
    /// inside is ended first: a namespace that holds a process outlives <c>ip netns del</c> unseen, veth and all. False
    /// when there was no such namespace.
    /// </summary>
    public static bool Remove(string name)
    {
        if (!Exists(name)) return false;
        LabProcesses.Terminate(() => ProcessesIn(name), $"processes in {name}");
        Tool.Run(["ip", "netns", "del", name]);
        return true;
    }

    public static bool Exists(string name) => File.Exists(PathOf(name));

    /// <summary>The bind mount of namespace <paramref name="name"/>: setns(2) into it to run code there.</summary>
    public static string PathOf(string name) => Path.Combine(Root, name);

    /// <summary>The pids running in namespace <paramref name="name"/> (zombies have left it and are not listed).</summary>
    public static IReadOnlyList<int> ProcessesIn(string name) =>
        Tool.Run(["ip", "netns", "pids", name]).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();

    /// <summary>
    /// Brings <paramref name="device"/> of namespace <paramref name="name"/> up, first giving it <paramref name="address"/>
    /// (address/prefix) when there is one; returns its MAC.
    /// </summary>
    public static MacAddress LinkUp(string name, string device, string? address = null)
    {
        if (address is not null) Tool.Run(["ip", "-n", name, "addr", "add", address, "dev", device]);
        Tool.Run(["ip", "-n", name, "link", "set", device, "up"]);
        // `ip -br link` prints "name state mac flags".
        return MacAddress.Parse(Tool.Run(["ip", "-n", name, "-br", "link", "show", "dev", device]).Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);
    }

    /// <summary><paramref name="length"/> lowercase letters and digits: short enough for 15-character interface names built on a namespace's.</summary>
    public static string RandomSuffix(int length = 4) => new(Random.Shared.GetItems("abcdefghijklmnopqrstuvwxyz0123456789".AsSpan(), length));

    /// <summary>Runs a command inside the namespace and returns its stdout; a <see cref="LabException"/> unless it exits 0.</summary>
    public string Exec(params string[] command) => Tool.RunIn(Name, command);

    /// <summary>Runs a command inside the namespace, whatever its exit code.</summary>
    public ProcessResult TryExec(TimeSpan timeout, params string[] command) => ProcessRunner.Run("ip", ["netns", "exec", Name, .. command], timeout);

    /// <summary>Starts a command inside the namespace in the background (a ping while the test receives, a kernel-socket peer).</summary>
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
            int target = Open(PathOf(Name));
            try
            {
                if (Libc.SetNs(target, Libc.CLONE_NEWNET) != 0) throw new InvalidOperationException($"setns into {Name} failed: {Libc.Describe(Libc.LastErrno)}");
                try
                {
                    result = action();
                }
                finally
                {
                    if (Libc.SetNs(home, Libc.CLONE_NEWNET) != 0) Environment.FailFast($"setns back from {Name} failed: {Libc.Describe(Libc.LastErrno)}");
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                Libc.Close(target);
                Libc.Close(home);
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new AggregateException($"inside namespace {Name}", failure);
        return result;
    }

    /// <summary>
    /// Moves the calling thread into namespace <paramref name="name"/> for good (setns(2); a command that runs the stack in
    /// a lab's client namespace). Only this thread moves: threads that exist already stay where they are, and threads this
    /// thread starts afterwards are born here, as are the sockets and devices it opens. So the caller opens the device and
    /// starts the poll thread after this, from this thread; nothing on other threads (the thread pool's) may open a kernel
    /// socket or read a namespace's files on the stack's behalf. /sys still shows the namespace that mounted it (the
    /// root's): interfaces are asked about with netlink (<see cref="Fast.Devices.LinuxInterface"/>).
    /// </summary>
    public static void MoveCallingThread(string name)
    {
        int target = Open(PathOf(name));
        try
        {
            if (Libc.SetNs(target, Libc.CLONE_NEWNET) != 0) throw new LabException($"setns into {name} failed: {Libc.Describe(Libc.LastErrno)}");
        }
        finally
        {
            Libc.Close(target);
        }
    }

    public void Dispose() => Remove(Name);

    private static int Open(string path)
    {
        int fd = Libc.Open(path, Libc.O_CLOEXEC);
        if (fd < 0) throw new InvalidOperationException($"open {path} failed: {Libc.Describe(Libc.LastErrno)}");
        return fd;
    }
}
