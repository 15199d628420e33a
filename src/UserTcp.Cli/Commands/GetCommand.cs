using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using UserTcp.Cli.Live;
using UserTcp.Fast.Api;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Cli.Commands;

/// <summary>
/// <c>usertcp get URL [-o FILE]</c>: downloads through the user-space stack with .NET's HttpClient on top (its
/// SocketsHttpHandler connects through our TcpStream), streaming the body to a file, with progress and a summary.
/// </summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var url = new Argument<string>("url") { Description = "http:// URL (the host an IPv4 address for now)." };
        var output = new Option<string?>("--output", "-o") { Description = "File to write the body to ('-' for stdout). Default: the URL's last path segment." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds without progress before giving up.", DefaultValueFactory = _ => 60 };
        url.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>();
            if (!Uri.TryCreate(text, UriKind.Absolute, out var value) || value.Scheme != Uri.UriSchemeHttp) r.AddError($"'{text}' is not an http:// URL");
        });
        var stack = new StackOptions();
        var command = new Command("get", "Download a URL through the user-space stack.") { url, output, timeout };
        stack.AddTo(command);
        command.SetAction(parse => StackCommand.RunWithSetup("get", stack, parse, setup =>
            Run(setup, new Uri(parse.GetValue(url)!), parse.GetValue(output), TimeSpan.FromSeconds(parse.GetValue(timeout)))));
        return command;
    }

    private static int Run(StackSetup setup, Uri url, string? output, TimeSpan idleTimeout)
    {
        if (!Ipv4Address.TryParse(url.Host, out var address))
        {
            Console.Error.WriteLine($"usertcp get: {url.Host}: names are not resolved yet; use the server's IPv4 address");
            return 2;
        }
        INetworkDevice device = DeviceFactory.Open(setup);
        if (setup.Pcap is { } pcap) device = new CapturingDevice(device, pcap.FullName, DateTimeOffset.UtcNow);
        using var network = NetworkStack.Start(setup.ToOptions(device));
        string path = output ?? (Path.GetFileName(url.AbsolutePath) is { Length: > 0 } name ? name : "index.html");
        try
        {
            return DownloadAsync(network, address, url, path, idleTimeout).GetAwaiter().GetResult();
        }
        finally
        {
            if (setup.Stats) Console.Error.Write(network.InvokeAsync(_ => network.Metrics.Format()).GetAwaiter().GetResult());
        }
    }

    private static async Task<int> DownloadAsync(NetworkStack network, Ipv4Address address, Uri url, string path, TimeSpan idleTimeout)
    {
        TcpStream? connection = null;
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = async (context, cancel) =>
                connection = await network.ConnectAsync(address, context.DnsEndPoint.Port, cancel).ConfigureAwait(false),
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var start = MonotonicClock.Now;
        try
        {
            using var idle = new CancellationTokenSource(idleTimeout);
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"usertcp get: {url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                return 1;
            }
            long? expected = response.Content.Headers.ContentLength;
            await using var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
            await using var file = path == "-" ? Console.OpenStandardOutput() : new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: false);
            var progress = new Progress(expected);
            var buffer = new byte[1 << 20];
            long total = 0;
            int n;
            while ((n = await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false)) > 0)
            {
                file.Write(buffer, 0, n);
                total += n;
                idle.CancelAfter(idleTimeout);
                progress.Report(total);
            }
            progress.Done(total);
            if (expected is { } length && total != length)
            {
                Console.Error.WriteLine($"usertcp get: {url}: the body ended after {total} of {length} bytes");
                return 1;
            }
            var seconds = (MonotonicClock.Now - start).TotalSeconds;
            var stats = connection?.Stats;
            var (drops, acks, retransmissions) = await network.InvokeAsync(loop =>
                (loop.Interface.Stats.TotalDrops, loop.Interface.Tcp.TotalConnectionStats().PureAcksSent, loop.Interface.Tcp.TotalConnectionStats().Retransmissions));
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{url}: {total} bytes in {seconds:0.000} s, {total * 8 / seconds / 1e9:0.000} Gbit/s; ACKs sent {acks}, retransmissions {retransmissions}, frames dropped {drops}{(path == "-" ? "" : $"; saved to {path}")}"));
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or IOException or OperationCanceledException)
        {
            var reason = e is OperationCanceledException ? $"no progress for {idleTimeout.TotalSeconds:0} s" : Describe(e);
            Console.Error.WriteLine($"usertcp get: {url}: {reason}");
            return 1;
        }
    }

    private static string Describe(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket) return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostUnreachable => "host unreachable (no ARP answer)",
                SocketError.TimedOut => "connection timed out",
                SocketError.ConnectionReset => "connection reset by peer",
                _ => socket.Message,
            };
        }
        return e.Message;
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
