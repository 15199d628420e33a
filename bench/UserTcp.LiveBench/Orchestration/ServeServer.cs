using System.Diagnostics;
using System.Globalization;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// One server of the serve benchmark, running in the lab's CLIENT namespace and serving the lab's web root: the stack
/// (<c>usertcp serve --root</c>: Kestrel over the user-space stack, on the lab's client address), the same app on Kestrel's
/// socket transport (<c>usertcp serve --root --kernel-sockets</c>) or nginx (the lab's nginx-light with a configuration of
/// this benchmark's: sendfile, keep-alive), both on <see cref="KernelAddress"/>, a kernel address on the same veth. Its
/// memory is the resident set of its process and every descendant (nginx's workers).
/// </summary>
internal sealed class ServeServer : IDisposable
{
    public const string Stack = "stack", KestrelKernel = "kestrel-kernel", Nginx = "nginx";
    /// <summary>The client namespace's kernel address, beside the stack's; the stack's capture filter ignores it.</summary>
    public const string KernelAddress = "198.18.0.4";
    public const int StackPort = 80, NginxPort = 80, KestrelKernelPort = 8080;

    private readonly Process? _process;
    private readonly int _pid;
    private readonly Action? _stop;

    private ServeServer(string name, string address, int port, Process? process, int pid, Action? stop)
    {
        Name = name;
        Address = address;
        Port = port;
        _process = process;
        _pid = pid;
        _stop = stop;
    }

    public string Name { get; }
    public string Address { get; }
    public int Port { get; }
    public string BaseUrl => $"http://{Address}:{Port}";

    /// <summary>Adds <see cref="KernelAddress"/> to the client veth (the servers on kernel sockets listen there).</summary>
    public static void AddKernelAddress(LabInfo lab) =>
        Tool.Run(["ip", "-n", lab.ClientNetns, "addr", "replace", $"{KernelAddress}/{lab.Prefix}", "dev", lab.KernelIface]);

    public static ServeServer StartStack(LabInfo lab, string webRoot) =>
        StartProcess(Stack, lab.ClientIp, StackPort, lab,
                     [BuiltProgram.Usertcp, "serve", "--root", webRoot, "--port", Text(StackPort), "--lab", lab.Name]);

    public static ServeServer StartKestrelKernel(LabInfo lab, string webRoot) =>
        StartProcess(KestrelKernel, KernelAddress, KestrelKernelPort, lab,
                     ["ip", "netns", "exec", lab.ClientNetns, BuiltProgram.Usertcp, "serve", "--root", webRoot, "--port", Text(KestrelKernelPort), "--kernel-sockets", KernelAddress]);

    /// <summary>nginx, daemonized in the client namespace, its files in <paramref name="work"/>; stopped by its pid file's pid.</summary>
    public static ServeServer StartNginx(LabInfo lab, string webRoot, string work)
    {
        string config = Path.Combine(work, "nginx-serve.conf"), pidFile = Path.Combine(work, "nginx-serve.pid"), log = Path.Combine(work, "nginx-serve.log");
        File.WriteAllText(config, $$"""
            # The serve benchmark's nginx: the lab's web root on the client namespace's kernel address.
            worker_processes auto;
            worker_rlimit_nofile 40000;
            pid {{pidFile}};
            error_log {{log}} warn;
            events { worker_connections 20000; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                keepalive_timeout 65s;
                keepalive_requests 1000000;
                default_type application/octet-stream;
                client_body_temp_path {{work}};
                proxy_temp_path {{work}};
                fastcgi_temp_path {{work}};
                uwsgi_temp_path {{work}};
                scgi_temp_path {{work}};
                server {
                    listen {{KernelAddress}}:{{NginxPort}};
                    root {{webRoot}};
                }
            }

            """);
        Tool.RunIn(lab.ClientNetns, ["nginx", "-p", work + "/", "-e", log, "-c", config]);
        int pid = Lab.AwaitDaemon("the serve benchmark's nginx", pidFile, log, pid => Directory.Exists($"/proc/{pid}"));
        var server = new ServeServer(Nginx, KernelAddress, NginxPort, null, pid, () =>
        {
            Tool.TryRun(["kill", "-QUIT", Text(pid)]);
            for (int i = 0; i < 100 && Directory.Exists($"/proc/{pid}"); i++) Thread.Sleep(50);
            if (Directory.Exists($"/proc/{pid}")) Tool.TryRun(["kill", "-KILL", Text(pid)]);
        });
        server.AwaitListening(lab);
        return server;
    }

    private static ServeServer StartProcess(string name, string address, int port, LabInfo lab, string[] command)
    {
        var info = ProcessRunner.StartInfo(command[0], command.Skip(1));
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = Process.Start(info) ?? throw new BenchException($"could not start {name}");
        // Read as it comes, so a chatty server never blocks on a full pipe.
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServeServer(name, address, port, process, process.Id, null);
        try
        {
            server.AwaitListening(lab, () => { lock (output) return output.ToString(); });
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return server;
    }

    /// <summary>Waits until a request from the server namespace gets a 200 for the smallest file (curl, 20 s at most).</summary>
    private void AwaitListening(LabInfo lab, Func<string>? output = null)
    {
        string url = $"{BaseUrl}/{lab.Files.MinBy(f => f.Value.Bytes).Key}";
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process is { HasExited: true }) break;
            var (exit, status, _) = Tool.TryRun(["ip", "netns", "exec", lab.ServerNetns, "curl", "-s", "-o", "/dev/null", "-m", "2", "-w", "%{http_code}", url]);
            if (exit == 0 && status == "200") return;
            Thread.Sleep(200);
        }
        throw new BenchException($"{Name} did not answer {url} within 20 s{(_process is { HasExited: true } p ? $" (exited {p.ExitCode})" : "")}:\n{output?.Invoke()}".TrimEnd());
    }

    /// <summary>The resident set of the server's process and its descendants, bytes.</summary>
    public long ResidentBytes()
    {
        var children = new Dictionary<int, List<int>>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                // stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so parse after the last ')'.
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
                list.Add(pid);
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }
        long total = 0;
        var pending = new Stack<int>([_pid]);
        while (pending.TryPop(out int pid))
        {
            total += RssOf(pid);
            foreach (int child in children.GetValueOrDefault(pid) ?? []) pending.Push(child);
        }
        return total;
    }

    private static long RssOf(int pid)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _stop?.Invoke();
        if (_process is null) return;
        if (!_process.HasExited)
        {
            // SIGINT first: serve closes its connections and exits; then kill what is left.
            Tool.TryRun(["kill", "-INT", Text(_process.Id)]);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
        _process.Dispose();
    }
}
