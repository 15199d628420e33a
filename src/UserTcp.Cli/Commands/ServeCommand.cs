using System.CommandLine;
using System.Globalization;
using UserTcp.Cli.Live;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Testbed.Live;

namespace UserTcp.Cli.Commands;

/// <summary>
/// <c>usertcp serve</c>: brings the stack up on a link and keeps it there: it answers ARP and ping, and with
/// <c>--port N</c> accepts TCP connections on that port and echoes what it receives. Runs for <c>--duration</c>
/// seconds (or until Ctrl-C) and prints the counters with <c>--stats</c>.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var duration = new Option<double>("--duration") { Description = "Seconds to run (0: until Ctrl-C).", DefaultValueFactory = _ => 0 };
        var port = new Option<int?>("--port") { Description = "Accept TCP connections on this port and echo their data." };
        duration.Validators.Add(r => { if (r.GetValue(duration) < 0) r.AddError("--duration cannot be negative"); });
        port.Validators.Add(r => { if (r.GetValue(port) is < 1 or > 65535) r.AddError("--port must be 1..65535"); });
        var stack = new StackOptions();
        var command = new Command("serve", "Run the stack on a link: answer ARP and ping, optionally echo TCP on a port.") { duration, port };
        stack.AddTo(command);
        command.SetAction(parse => StackCommand.Run("serve", stack, parse, live =>
            Run(live, parse.GetValue(duration), parse.GetValue(port), Console.Out)));
        return command;
    }

    public static int Run(LiveStack live, double seconds, int? port, TextWriter output)
    {
        var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        TcpListener? listener = port is { } p ? live.Tcp.Listen((ushort)p) : null;
        var connections = new List<TcpConnection>();
        var buffer = new byte[64 * 1024];
        live.Loop.OnTurn = _ =>
        {
            while (listener is not null && listener.TryAccept(out var accepted)) connections.Add(accepted);
            foreach (var c in connections)
            {
                int n;
                while (c.SendSpace > 0 && (n = c.Receive(buffer.AsSpan(0, Math.Min(buffer.Length, c.SendSpace)))) > 0) c.Send(buffer.AsSpan(0, n));
                if (c.IsReceiveComplete && c.State == TcpState.CloseWait) c.Close();
            }
            connections.RemoveAll(c => c.IsClosed);
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"serving {live.Setup.Address}/{live.Setup.PrefixLength} on {live.Device.Name} ({live.Device.MacAddress}){(port is { } pp ? $", TCP echo on port {pp}" : "")}"));
        output.Flush();
        var until = seconds > 0 ? MonotonicClock.Now + TimeSpan.FromSeconds(seconds) : Instant.Never;
        while (!stop.IsCancellationRequested && MonotonicClock.Now < until)
            live.RunUntil(() => stop.IsCancellationRequested, TimeSpan.FromMilliseconds(200));
        live.Loop.OnTurn = null;
        return 0;
    }
}
