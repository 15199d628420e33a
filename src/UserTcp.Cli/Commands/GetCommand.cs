using System.CommandLine;
using UserTcp.Cli.Live;
using UserTcp.Fast.Api;
using UserTcp.Fast.Native;
using UserTcp.Fast.Time;

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
        var http = new HttpOptions();
        var output = new Option<string?>("--output", "-o") { Description = "File to write the body to ('-' for stdout). Default: the URL's last path segment." };
        var limitRate = new Option<string?>("--limit-rate") { Description = "Read the body at most this fast, in bytes per second: 500K, 20M, 1G (K = 1024)." };
        limitRate.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && ByteCount.Parse(text) is null) r.AddError($"--limit-rate {text}: expected bytes per second such as 500K, 20M or 1G");
        });
        var command = http.CreateCommand("get", "Download a URL through the user-space stack.", output, limitRate);
        command.SetAction(parse => StackCommand.RunWithSetup("get", http.Stack, parse, setup =>
        {
            var request = new Download(
                http.Url(parse),
                parse.GetValue(output),
                http.IdleTimeout(parse),
                parse.GetValue(limitRate) is { } rate ? ByteCount.Parse(rate) : null);
            return HttpTransfer.Run(http.WithDns(parse, setup), http.Trust(parse, setup), (network, client) => DownloadAsync(network, client, request));
        }));
        return command;
    }

    /// <summary>What to fetch and how: the URL, where the body goes, the idle timeout and an optional read rate.</summary>
    private sealed record Download(Uri Url, string? Output, TimeSpan IdleTimeout, long? BytesPerSecond)
    {
        public string Path => Output ?? (System.IO.Path.GetFileName(Url.AbsolutePath) is { Length: > 0 } name ? name : "index.html");
    }

    private static async Task<int> DownloadAsync(NetworkStack network, HttpClient client, Download download)
    {
        var url = download.Url;
        var start = MonotonicClock.Now;
        long total = 0;
        long? expected = null;
        bool saved = false;
        string path = download.Path;
        using var idle = new CancellationTokenSource(download.IdleTimeout);
        try
        {
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"usertcp get: {url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                return 1;
            }
            expected = response.Content.Headers.ContentLength;
            bool chunked = response.Headers.TransferEncodingChunked == true;
            // Unbuffered: the reads fill the buffer and it is written whole, so bytes are copied once out of the connection and
            // never again on the way to the file (a FileStream buffer copied every read shorter than itself: 4 % of a
            // download's CPU in a profile with offloads on). Standard output gets each read as it comes.
            bool writeEachRead = path == "-";
            await using (var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false))
            await using (var file = writeEachRead ? Console.OpenStandardOutput() : new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: false))
            {
                var progress = new TransferProgress(expected);
                var pacer = download.BytesPerSecond is { } rate ? new Pacer(rate) : null;
                var buffer = new byte[pacer?.ReadSize ?? 1 << 20];
                int filled = 0, n;
                // Blocking reads: the poll thread wakes this thread directly, where an awaited read's continuation went
                // through the thread pool (CPU per GiB with offloads on 0.27 -> 0.23 s, same-session A/B; curl 0.16). A
                // read the server leaves waiting ends when the idle timer disposes the response under it.
                using var stalled = idle.Token.UnsafeRegister(static r => ((HttpResponseMessage)r!).Dispose(), response);
                while ((n = body.Read(buffer.AsSpan(filled))) > 0)
                {
                    filled += n;
                    if (writeEachRead || filled == buffer.Length)
                    {
                        file.Write(buffer, 0, filled);
                        filled = 0;
                    }
                    total += n;
                    idle.CancelAfter(download.IdleTimeout);
                    progress.Report(total);
                    if (pacer is not null) await pacer.WaitAsync(total, idle.Token).ConfigureAwait(false);
                }
                file.Write(buffer, 0, filled);
                progress.Done(total);
            }
            if (expected is { } length && total != length)
            {
                Console.Error.WriteLine($"usertcp get: {url}: the body ended after {total} of {length} bytes");
                return 1;
            }
            saved = true;
            Console.Error.WriteLine(await HttpTransfer.SummaryAsync(network, url, total, chunked ? " (chunked)" : "", MonotonicClock.Now - start,
                path == "-" ? "" : $"; saved to {path}").ConfigureAwait(false));
            return 0;
        }
        catch (Exception e) when (HttpTransfer.IsTransferFailure(e) || idle.IsCancellationRequested)
        {
            var reason = idle.IsCancellationRequested ? new OperationCanceledException(idle.Token) : e; // the response disposed under a read
            Console.Error.WriteLine($"usertcp get: {url}: {HttpTransfer.Describe(reason, download.IdleTimeout)}{HttpTransfer.Progress(total, expected)}");
            return 1;
        }
        finally
        {
            // A partial body is never left under the name a complete one would have; a device (-o /dev/null, run as root)
            // or a pipe is left alone.
            if (!saved && path != "-" && total > 0 && Libc.IsRegularFile(path)) File.Delete(path);
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
}
