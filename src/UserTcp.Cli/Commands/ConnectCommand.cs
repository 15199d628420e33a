using System.CommandLine;
using System.Globalization;
using System.Text;
using UserTcp.Cli.Live;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Cli.Commands;

/// <summary>
/// <c>usertcp connect HOST:PORT [--send TEXT]</c>: a handshake from the user-space stack, an optional request, everything
/// the peer sends until it closes (to stdout), a clean close, and the handshake time; clear errors for refused,
/// unreachable and timed-out connections.
/// </summary>
internal static class ConnectCommand
{
    public static Command Create()
    {
        var endpoint = new Argument<string>("endpoint") { Description = "ADDRESS:PORT to connect to." };
        var send = new Option<string?>("--send") { Description = "Text to send after the handshake (\\r, \\n and \\t are unescaped)." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the whole exchange.", DefaultValueFactory = _ => 30 };
        endpoint.Validators.Add(r => { if (!TryParseEndpoint(r.GetValueOrDefault<string>() ?? "", out _, out _)) r.AddError($"'{r.GetValueOrDefault<string>()}' is not ADDRESS:PORT"); });
        timeout.Validators.Add(r => { if (r.GetValue(timeout) <= 0) r.AddError("--timeout must be positive"); });
        var stack = new StackOptions();
        var command = new Command("connect", "Open a TCP connection from the user-space stack, optionally send a request, print the reply.") { endpoint, send, timeout };
        stack.AddTo(command);
        command.SetAction(parse => StackCommand.Run("connect", stack, parse, live =>
        {
            TryParseEndpoint(parse.GetValue(endpoint)!, out var address, out var port);
            return Run(live, address, port, Unescape(parse.GetValue(send)), TimeSpan.FromSeconds(parse.GetValue(timeout)), Console.OpenStandardOutput(), Console.Error);
        }));
        return command;
    }

    public static int Run(LiveStack live, Ipv4Address address, ushort port, string? request, TimeSpan timeout, Stream output, TextWriter log)
    {
        var start = MonotonicClock.Now;
        var connection = live.Tcp.Connect(live.Setup.Address, address, port, start);
        bool established = live.RunUntil(() => connection.State != TcpState.SynSent, timeout);
        if (connection.State != TcpState.Established)
        {
            log.WriteLine($"usertcp connect: {address}:{port}: {Describe(connection.Error, established)}");
            return 1;
        }
        var handshake = MonotonicClock.Now - start;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"connected to {address}:{port} from {live.Setup.Address}:{connection.Tuple.LocalPort} in {handshake.TotalMilliseconds:0.000} ms"));

        var toSend = request is null ? [] : Encoding.UTF8.GetBytes(request);
        int sent = 0;
        long received = 0;
        var buffer = new byte[64 * 1024];
        live.Loop.OnTurn = _ =>
        {
            if (sent < toSend.Length && connection.SendSpace > 0) sent += connection.Send(toSend.AsSpan(sent));
            int n;
            while ((n = connection.Receive(buffer)) > 0)
            {
                output.Write(buffer, 0, n);
                received += n;
            }
            if (connection.IsReceiveComplete && connection.State == TcpState.CloseWait) connection.Close();
        };
        var deadline = start + timeout;
        bool closed = live.RunUntil(() => connection.State is TcpState.Closed or TcpState.TimeWait, deadline - MonotonicClock.Now);
        live.Loop.OnTurn = null;
        output.Flush();
        if (connection.Error != TcpError.None)
        {
            log.WriteLine($"usertcp connect: {address}:{port}: {Describe(connection.Error, true)} after {received} bytes");
            return 1;
        }
        if (!closed)
        {
            connection.Abort();
            live.Loop.Turn(MonotonicClock.Now);
            log.WriteLine($"usertcp connect: {address}:{port}: the peer did not close within {timeout.TotalSeconds:0} s ({received} bytes received); aborted");
            return 1;
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"closed cleanly: {sent} bytes sent, {received} bytes received, handshake {handshake.TotalMilliseconds:0.000} ms"));
        return 0;
    }

    private static string Describe(TcpError error, bool answered) => error switch
    {
        TcpError.ConnectionRefused => "connection refused",
        TcpError.HostUnreachable => "host unreachable (no ARP answer)",
        TcpError.ConnectionReset => "connection reset by peer",
        TcpError.TimedOut => "connection timed out",
        TcpError.Aborted => "connection aborted",
        _ => answered ? "connection failed" : "connection timed out",
    };

    public static bool TryParseEndpoint(string text, out Ipv4Address address, out ushort port)
    {
        address = default;
        port = 0;
        int colon = text.LastIndexOf(':');
        return colon > 0 && Ipv4Address.TryParse(text.AsSpan(0, colon), out address)
               && ushort.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) && port != 0;
    }

    private static string? Unescape(string? text) => text?.Replace("\\r", "\r").Replace("\\n", "\n").Replace("\\t", "\t");
}
