using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using UserTcp.Cli.Live;
using UserTcp.Fast.Api;
using UserTcp.Fast.Devices.Pcap;
using UserTcp.Testbed.Live;

namespace UserTcp.Cli.Commands;

/// <summary>
/// <c>usertcp serve</c>: brings the stack up on a link and keeps it there: it answers ARP and ping, and with
/// <c>--echo --port N</c> accepts TCP connections on that port (the public listener API) and echoes what each sends
/// until it closes; with <c>--root DIR</c> it serves files over HTTP (<see cref="StaticFileServer"/>). Runs for
/// <c>--duration</c> seconds or until Ctrl-C, and prints the counters with <c>--stats</c>.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var duration = new Option<double>("--duration") { Description = "Seconds to run (0: until Ctrl-C).", DefaultValueFactory = _ => 0 };
        var port = new Option<int?>("--port") { Description = "The TCP port to listen on (with --echo; with --root, default 80)." };
        var root = new Option<DirectoryInfo?>("--root") { Description = "Serve the files under this directory over HTTP/1.1 (Kestrel on the stack)." };
        var echo = new Option<bool>("--echo") { Description = "Accept TCP connections on --port and echo their data." };
        var kernelSockets = new Option<string?>("--kernel-sockets")
        {
            Description = "With --root: serve the same app on Kestrel's own socket transport (kernel sockets) bound to this local address instead of the stack (bench/run-serve.sh's comparison).",
        };
        var backlog = new Option<int>("--backlog") { Description = "Connections that may wait for an accept, half-open or established.", DefaultValueFactory = _ => 512 };
        duration.Validators.Add(r => { if (r.GetValue(duration) < 0) r.AddError("--duration cannot be negative"); });
        port.Validators.Add(r => { if (r.GetValue(port) is < 1 or > 65535) r.AddError("--port must be 1..65535"); });
        var synBacklog = new Option<int?>("--syn-backlog") { Description = "Half-open connections kept per listener; past them SYNs get SYN cookies (default 1024)." };
        backlog.Validators.Add(r => { if (r.GetValue(backlog) < 1) r.AddError("--backlog must be at least 1"); });
        synBacklog.Validators.Add(r => { if (r.GetValue(synBacklog) < 1) r.AddError("--syn-backlog must be at least 1"); });
        var stack = new StackOptions();
        var command = new Command("serve", "Run the stack on a link: answer ARP and ping, optionally echo TCP on a port or serve a directory over HTTP.") { duration, port, echo, root, kernelSockets, backlog, synBacklog };
        command.Validators.Add(r =>
        {
            if (r.GetValue(echo) && r.GetValue(port) is null) r.AddError("--echo needs --port");
            if (!r.GetValue(echo) && r.GetValue(root) is null && r.GetValue(port) is not null) r.AddError("--port needs --echo or --root");
            if (r.GetValue(echo) && r.GetValue(root) is not null) r.AddError("use either --echo or --root, not both");
            if (r.GetValue(root) is { Exists: false } missing) r.AddError($"--root {missing}: no such directory");
            if (r.GetValue(kernelSockets) is { } address && (r.GetValue(root) is null || !IPAddress.TryParse(address, out _)))
                r.AddError($"--kernel-sockets {address}: needs --root and a local IP address");
        });
        // Kestrel on kernel sockets needs no stack, so no place to run it either.
        stack.AddTo(command, unlessGiven: kernelSockets);
        command.SetAction(parse => parse.GetValue(kernelSockets) is { } local
            ? StaticFileServer.RunOnKernelSockets(new IPEndPoint(IPAddress.Parse(local), parse.GetValue(port) ?? 80), parse.GetValue(root)!, parse.GetValue(backlog), parse.GetValue(duration), Console.Out)
            : StackCommand.RunWithSetup("serve", stack, parse, setup => StackCommand.RunOnPollThread(setup with
            {
                MaxSynBacklog = parse.GetValue(synBacklog),
                CaptureBufferBytes = setup.CaptureBufferBytes ?? StackSetup.LargeCaptureBufferBytes, // many connections' windows, bursts of small frames
                ReceivePath = setup.ReceivePath ?? PcapReceivePath.Ring, // a server lives long: the ring's speed from the start, its grace periods once
            }, (network, device) =>
        {
            if (parse.GetValue(root) is { } files)
                return StaticFileServer.Run(network, files, parse.GetValue(port) ?? 80, parse.GetValue(backlog), parse.GetValue(duration), Console.Out);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"serving {network.Address}/{network.Lease?.PrefixLength ?? setup.PrefixLength} on {device.Name} ({device.MacAddress}){(parse.GetValue(port) is { } p ? $", TCP echo on port {p}" : "")}"));
            return Run(network, parse.GetValue(duration), parse.GetValue(port), parse.GetValue(backlog));
        }), listenPorts: ListenPort(parse.GetValue(root), parse.GetValue(port)) is { } listening ? [listening] : null));
        return command;
    }

    /// <summary>The port serve listens on, if any: --port, or 80 with --root.</summary>
    private static ushort? ListenPort(DirectoryInfo? root, int? port) => port is { } p ? (ushort)p : root is not null ? (ushort)80 : null;

    private static int Run(NetworkStack network, double seconds, int? port, int backlog)
    {
        using var stop = seconds > 0 ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds)) : new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        if (port is not { } echoPort)
        {
            stop.Token.WaitHandle.WaitOne();
            return 0;
        }
        using var listener = network.Listen(echoPort, backlog);
        var sessions = new List<Task>();
        try
        {
            while (true)
            {
                var stream = listener.AcceptAsync(stop.Token).AsTask().GetAwaiter().GetResult();
                sessions.RemoveAll(s => s.IsCompleted);
                sessions.Add(Task.Run(() => EchoAsync(stream, stop.Token)));
            }
        }
        catch (OperationCanceledException)
        {
        }
        listener.Stop();
        // Sessions end on their own once their peers close; those still open are cut short by the stop token.
        Task.WhenAll(sessions).Wait(TimeSpan.FromSeconds(5));
        return 0;
    }

    private static async Task EchoAsync(TcpStream stream, CancellationToken stop)
    {
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer, stop).ConfigureAwait(false)) > 0)
                    await stream.WriteAsync(buffer.AsMemory(0, n), stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
            {
                // The peer reset, or serve is stopping: the stream's dispose closes what is left.
            }
        }
    }
}
