using System.CommandLine;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using UserTcp.Cli.Live;
using UserTcp.Fast.Api;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Capture;
using UserTcp.Fast.Native;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Live;

namespace UserTcp.Cli.Commands;

/// <summary>
/// <c>usertcp get URL [-o FILE]</c>: downloads through the user-space stack with .NET's HttpClient on top (its
/// SocketsHttpHandler connects through our TcpStream, so HTTP/1.1, chunked bodies and TLS are .NET's own), resolving
/// names with the stack's DNS resolver, streaming the body to a file, with progress and a summary.
/// </summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var url = new Argument<string>("url") { Description = "http:// or https:// URL; the host a name or an IPv4 address." };
        var output = new Option<string?>("--output", "-o") { Description = "File to write the body to ('-' for stdout). Default: the URL's last path segment." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds without progress before giving up.", DefaultValueFactory = _ => 60 };
        var dns = new Option<string[]>("--dns") { Description = "DNS server to ask (repeatable). Default: the lab's with --lab, else /etc/resolv.conf's." };
        var caCert = new Option<FileInfo?>("--cacert") { Description = "Trust only the certificates in this PEM file for https (the lab's certificate by default with --lab)." };
        var insecure = new Option<bool>("--insecure", "-k") { Description = "Do not check the server's certificate (https)." };
        var limitRate = new Option<string?>("--limit-rate") { Description = "Read the body at most this fast, in bytes per second: 500K, 20M, 1G (K = 1024)." };
        url.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>();
            if (!Uri.TryCreate(text, UriKind.Absolute, out var value) || (value.Scheme != Uri.UriSchemeHttp && value.Scheme != Uri.UriSchemeHttps))
                r.AddError($"'{text}' is not an http:// or https:// URL");
        });
        dns.Validators.Add(r =>
        {
            foreach (var server in r.GetValueOrDefault<string[]>() ?? [])
                if (!Ipv4Address.TryParse(server, out _)) r.AddError($"--dns {server}: not an IPv4 address");
        });
        timeout.Validators.Add(r => { if (r.GetValueOrDefault<double>() is not > 0) r.AddError("--timeout must be a positive number of seconds"); });
        limitRate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && ParseRate(text) is null) r.AddError($"--limit-rate {text}: expected bytes per second such as 500K, 20M or 1G");
        });
        var stack = new StackOptions();
        var command = new Command("get", "Download a URL through the user-space stack.") { url, output, timeout, dns, caCert, insecure, limitRate };
        stack.AddTo(command);
        command.Validators.Add(r =>
        {
            if (r.GetValue(insecure) && r.GetValue(caCert) is not null) r.AddError("use either --cacert or --insecure, not both");
        });
        command.SetAction(parse => StackCommand.RunWithSetup("get", stack, parse, setup =>
        {
            var address = new Uri(parse.GetValue(url)!);
            // The lab's certificate is read (and OpenSSL loaded: a few milliseconds) on a pool thread while this thread
            // opens the device, and only for https; no socket is involved, so the pool thread's network namespace does not
            // matter. A --cacert file is the user's: read now, so a bad one fails before the stack sends anything.
            var trust = parse.GetValue(insecure) ? Task.FromResult(TlsTrust.Anything)
                : parse.GetValue(caCert) is { } file ? Task.FromResult(TlsTrust.From(file.FullName))
                : address.Scheme == Uri.UriSchemeHttps && setup.LabCertificateFile is { } lab ? Task.Run(() => TlsTrust.From(lab))
                : Task.FromResult(TlsTrust.SystemRoots);
            var request = new Download(
                address,
                parse.GetValue(output),
                TimeSpan.FromSeconds(parse.GetValue(timeout)),
                parse.GetValue(limitRate) is { } rate ? ParseRate(rate) : null,
                trust);
            var servers = parse.GetValue(dns) is { Length: > 0 } given ? given.Select(Ipv4Address.Parse).ToList() : setup.DnsServers;
            return Run(setup with { DnsServers = servers }, request);
        }));
        return command;
    }

    /// <summary>What to fetch and how: the URL, where the body goes, the idle timeout, an optional read rate, and whom TLS trusts.</summary>
    private sealed record Download(Uri Url, string? Output, TimeSpan IdleTimeout, long? BytesPerSecond, Task<TlsTrust> Trust)
    {
        public string Path => Output ?? (System.IO.Path.GetFileName(Url.AbsolutePath) is { Length: > 0 } name ? name : "index.html");
    }

    private static int Run(StackSetup setup, Download download)
    {
        INetworkDevice device = DeviceFactory.Open(setup);
        if (setup.Pcap is { } pcap) device = new CapturingDevice(device, pcap.FullName, DateTimeOffset.UtcNow);
        using var network = NetworkStack.Start(setup.ToOptions(device));
        try
        {
            return DownloadAsync(network, download).GetAwaiter().GetResult();
        }
        finally
        {
            if (setup.Stats) Console.Error.Write(network.InvokeAsync(_ => network.Metrics.Format()).GetAwaiter().GetResult());
        }
    }

    private static async Task<int> DownloadAsync(NetworkStack network, Download download)
    {
        var url = download.Url;
        using var handler = network.CreateHttpHandler();
        handler.SslOptions = (await download.Trust.ConfigureAwait(false)).Options();
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var start = MonotonicClock.Now;
        long total = 0;
        long? expected = null;
        bool saved = false;
        string path = download.Path;
        try
        {
            using var idle = new CancellationTokenSource(download.IdleTimeout);
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"usertcp get: {url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                return 1;
            }
            expected = response.Content.Headers.ContentLength;
            bool chunked = response.Headers.TransferEncodingChunked == true;
            await using (var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false))
            await using (var file = path == "-" ? Console.OpenStandardOutput() : new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: false))
            {
                var progress = new Progress(expected);
                var pacer = download.BytesPerSecond is { } rate ? new Pacer(rate) : null;
                var buffer = new byte[pacer?.ReadSize ?? 1 << 20];
                int n;
                while ((n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false)) > 0)
                {
                    file.Write(buffer, 0, n);
                    total += n;
                    idle.CancelAfter(download.IdleTimeout);
                    progress.Report(total);
                    if (pacer is not null) await pacer.WaitAsync(total, idle.Token).ConfigureAwait(false);
                }
                progress.Done(total);
            }
            if (expected is { } length && total != length)
            {
                Console.Error.WriteLine($"usertcp get: {url}: the body ended after {total} of {length} bytes");
                return 1;
            }
            saved = true;
            var seconds = (MonotonicClock.Now - start).TotalSeconds;
            var (drops, acks, retransmissions) = await network.InvokeAsync(loop =>
                (loop.Interface.Stats.TotalDrops, loop.Interface.Tcp.TotalConnectionStats().PureAcksSent, loop.Interface.Tcp.TotalConnectionStats().Retransmissions));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{url}: {total} bytes{(chunked ? " (chunked)" : "")} in {seconds:0.000} s, {total * 8 / seconds / 1e9:0.000} Gbit/s; ACKs sent {acks}, retransmissions {retransmissions}, frames dropped {drops}{(path == "-" ? "" : $"; saved to {path}")}"));
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or OperationCanceledException or AuthenticationException)
        {
            string reason = e is OperationCanceledException ? $"no progress for {download.IdleTimeout.TotalSeconds:0.###} s" : Describe(e);
            string where = total == 0 ? "" : expected is { } length ? $" after {total} of {length} bytes" : $" after {total} bytes";
            Console.Error.WriteLine($"usertcp get: {url}: {reason}{where}");
            return 1;
        }
        finally
        {
            // A partial body is never left under the name a complete one would have; a device (-o /dev/null, run as root)
            // or a pipe is left alone.
            if (!saved && path != "-" && total > 0 && Libc.IsRegularFile(path)) File.Delete(path);
        }
    }

    private static string Describe(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            // The stack's resolver explains itself in its message; a connection failure carries only its code.
            if (inner is SocketException socket)
                return socket.Message != new SocketException((int)socket.SocketErrorCode).Message ? socket.Message : socket.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => "connection refused",
                    SocketError.HostUnreachable => "host unreachable (no ARP answer)",
                    SocketError.TimedOut => "connection timed out",
                    SocketError.ConnectionReset => "connection reset by peer",
                    _ => socket.Message,
                };
            if (inner is AuthenticationException tls)
                return $"TLS handshake failed: {tls.Message} (trust the server's certificate with --cacert FILE, or skip the check with --insecure)";
        }
        return e.Message;
    }

    /// <summary>"500K", "20M", "1G" or plain bytes, per second (K = 1024, as curl's --limit-rate); null when not a positive rate.</summary>
    internal static long? ParseRate(string text)
    {
        if (text.Length == 0) return null;
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        string digits = unit == 1 ? text : text[..^1];
        return double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value * unit >= 1 && value * unit < long.MaxValue
            ? (long)(value * unit)
            : null;
    }

    /// <summary>Whom https trusts: the system's roots, the certificates of one PEM file, or (with --insecure) anything.</summary>
    private sealed class TlsTrust
    {
        private readonly X509Certificate2Collection? _roots;
        private readonly bool _anything;

        private TlsTrust(X509Certificate2Collection? roots, bool anything) => (_roots, _anything) = (roots, anything);

        public static TlsTrust SystemRoots { get; } = new(null, false);
        public static TlsTrust Anything { get; } = new(null, true);

        public static TlsTrust From(string pemFile)
        {
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(pemFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw new ArgumentException($"--cacert {pemFile}: {e.Message}", e);
            }
            if (roots.Count == 0) throw new ArgumentException($"--cacert {pemFile}: no PEM certificate in it");
            return new TlsTrust(roots, false);
        }

        public SslClientAuthenticationOptions Options()
        {
            var options = new SslClientAuthenticationOptions();
            if (_anything) options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            else if (_roots is not null)
            {
                var policy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    RevocationMode = X509RevocationMode.NoCheck, // a private root has no revocation service to ask
                    // ...nor issuers to fetch: chain building never opens a kernel socket (on a pool thread, in whatever
                    // network namespace that thread was born in, not through the stack).
                    DisableCertificateDownloads = true,
                };
                policy.CustomTrustStore.AddRange(_roots);
                options.CertificateChainPolicy = policy;
            }
            return options;
        }
    }

    /// <summary>Keeps reading at most <c>rate</c> bytes per second on average: sleeps whenever the reader is ahead of that schedule.</summary>
    private sealed class Pacer(long bytesPerSecond)
    {
        private readonly Instant _start = MonotonicClock.Now;

        /// <summary>Reads of a tenth of a second's worth of bytes, so the pace is smooth, not bursts of 1 MiB.</summary>
        public int ReadSize { get; } = (int)Math.Clamp(bytesPerSecond / 10, 1, 1 << 20);

        public async Task WaitAsync(long bytesRead, CancellationToken cancel)
        {
            var due = TimeSpan.FromSeconds((double)bytesRead / bytesPerSecond) - (MonotonicClock.Now - _start);
            if (due > TimeSpan.Zero) await Task.Delay(due, cancel).ConfigureAwait(false);
        }
    }

    /// <summary>A progress bar on a terminal (bytes, rate, ETA), a plain line every few seconds otherwise.</summary>
    private sealed class Progress(long? expected)
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private readonly Instant _start = MonotonicClock.Now;
        private Instant _last = MonotonicClock.Now;

        public void Report(long bytes)
        {
            var now = MonotonicClock.Now;
            if (now - _last < (_terminal ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(5))) return;
            _last = now;
            Console.Error.Write(Line(bytes, now) + (_terminal ? "\r" : "\n"));
        }

        public void Done(long bytes)
        {
            if (_terminal) Console.Error.WriteLine(Line(bytes, MonotonicClock.Now));
        }

        private string Line(long bytes, Instant now)
        {
            double seconds = Math.Max(1e-9, (now - _start).TotalSeconds);
            double rate = bytes / seconds;
            string of = expected is { } total ? $"/{total / 1048576.0:0.0} MiB {(double)bytes / total,6:P0}" : " MiB";
            string eta = expected is { } t && rate > 0 ? $" ETA {(t - bytes) / rate:0}s" : "";
            return string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0,10:0.0}{of} {rate * 8 / 1e9:0.00} Gbit/s{eta}   ");
        }
    }
}
