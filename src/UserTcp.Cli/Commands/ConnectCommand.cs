using System.CommandLine;
using System.Globalization;
using UserTcp.Cli.Live;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Live;

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
            return ConnectExchange.Run(live, address, port, Unescape(parse.GetValue(send)), TimeSpan.FromSeconds(parse.GetValue(timeout)), Console.OpenStandardOutput(), Console.Error);
        }));
        return command;
    }

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
