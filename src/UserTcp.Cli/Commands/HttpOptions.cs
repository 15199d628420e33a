using System.CommandLine;
using UserTcp.Cli.Live;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Live;

namespace UserTcp.Cli.Commands;

/// <summary>
/// What every HTTP command over the stack takes (<c>get</c>, <c>put</c>): the URL, the idle timeout, DNS servers, whom TLS
/// trusts, and the stack's own options (<see cref="StackOptions"/>), each checked before any network is touched.
/// </summary>
internal sealed class HttpOptions
{
    private readonly Argument<string> _url = new("url") { Description = "http:// or https:// URL; the host a name or an IPv4 address." };
    private readonly Option<double> _timeout = new("--timeout") { Description = "Seconds without progress before giving up.", DefaultValueFactory = _ => 60 };
    private readonly Option<string[]> _dns = new("--dns") { Description = "DNS server to ask (repeatable). Default: the lab's with --lab, else /etc/resolv.conf's." };
    private readonly Option<FileInfo?> _caCert = new("--cacert") { Description = "Trust only the certificates in this PEM file for https (the lab's certificate by default with --lab)." };
    private readonly Option<bool> _insecure = new("--insecure", "-k") { Description = "Do not check the server's certificate (https)." };

    public HttpOptions()
    {
        _url.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>();
            if (!Uri.TryCreate(text, UriKind.Absolute, out var value) || (value.Scheme != Uri.UriSchemeHttp && value.Scheme != Uri.UriSchemeHttps))
                r.AddError($"'{text}' is not an http:// or https:// URL");
        });
        _dns.Validators.Add(r =>
        {
            foreach (var server in r.GetValueOrDefault<string[]>() ?? [])
                if (!Ipv4Address.TryParse(server, out _)) r.AddError($"--dns {server}: not an IPv4 address");
        });
        _timeout.Validators.Add(r => { if (r.GetValueOrDefault<double>() is not > 0) r.AddError("--timeout must be a positive number of seconds"); });
    }

    public StackOptions Stack { get; } = new();

    /// <summary>The URL argument first, then <paramref name="extra"/> (the command's own arguments and options), then the shared options.</summary>
    public Command CreateCommand(string name, string description, params Symbol[] extra)
    {
        var command = new Command(name, description) { _url };
        foreach (var symbol in extra)
        {
            if (symbol is Argument argument) command.Arguments.Add(argument);
            else command.Options.Add((Option)symbol);
        }
        foreach (var option in new Option[] { _timeout, _dns, _caCert, _insecure }) command.Options.Add(option);
        Stack.AddTo(command);
        command.Validators.Add(r =>
        {
            if (r.GetValue(_insecure) && r.GetValue(_caCert) is not null) r.AddError("use either --cacert or --insecure, not both");
        });
        return command;
    }

    public Uri Url(ParseResult parse) => new(parse.GetValue(_url)!);

    public TimeSpan IdleTimeout(ParseResult parse) => TimeSpan.FromSeconds(parse.GetValue(_timeout));

    /// <summary>
    /// Whom TLS trusts. The lab's certificate is read (and OpenSSL loaded: a few milliseconds) on a pool thread while the
    /// caller opens the device, and only for https; no socket is involved, so the pool thread's network namespace does not
    /// matter. A --cacert file is the user's: read now, so a bad one fails before the stack sends anything.
    /// </summary>
    public Task<TlsTrust> Trust(ParseResult parse, StackSetup setup) =>
        parse.GetValue(_insecure) ? Task.FromResult(TlsTrust.Anything)
            : parse.GetValue(_caCert) is { } file ? Task.FromResult(TlsTrust.From(file.FullName))
            : Url(parse).Scheme == Uri.UriSchemeHttps && setup.LabCertificateFile is { } lab ? Task.Run(() => TlsTrust.From(lab))
            : Task.FromResult(TlsTrust.SystemRoots);

    /// <summary><paramref name="setup"/> with the DNS servers given, if any.</summary>
    public StackSetup WithDns(ParseResult parse, StackSetup setup) =>
        parse.GetValue(_dns) is { Length: > 0 } given ? setup with { DnsServers = given.Select(Ipv4Address.Parse).ToList() } : setup;
}
