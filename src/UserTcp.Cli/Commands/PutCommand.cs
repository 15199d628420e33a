using System.CommandLine;
using System.Net.Http.Headers;
using UserTcp.Cli.Live;
using UserTcp.Fast.Api;
using UserTcp.Fast.Native;
using UserTcp.Fast.Time;

namespace UserTcp.Cli.Commands;

/// <summary>
/// <c>usertcp put URL FILE [--method PUT|POST] [-o RESPONSE]</c>: uploads a file (or stdin, <c>-</c>) through the user-space
/// stack, as <c>curl -T FILE URL</c> does: HttpClient over the stack's TcpStream, the body streamed from the file with a
/// Content-Length when its size is known (chunked from a pipe), the response body to stdout or a file, progress and a
/// summary. A status other than 2xx, a refusal, a reset or a timeout is one line and exit code 1.
/// </summary>
internal static class PutCommand
{
    public static Command Create()
    {
        var http = new HttpOptions();
        var file = new Argument<string>("file") { Description = "File to send as the body ('-' for stdin, sent chunked)." };
        var method = new Option<string>("--method", "-X") { Description = "PUT (the default, as curl -T) or POST.", DefaultValueFactory = _ => "PUT" };
        var output = new Option<string?>("--output", "-o") { Description = "File to write the response body to. Default: stdout." };
        method.AcceptOnlyFromAmong("PUT", "POST");
        file.Validators.Add(r =>
        {
            var path = r.GetValueOrDefault<string>();
            if (path != "-" && !File.Exists(path)) r.AddError($"{path}: no such file");
        });
        var command = http.CreateCommand("put", "Upload a file (PUT or POST) through the user-space stack.", file, method, output);
        command.SetAction(parse => StackCommand.RunWithSetup("put", http.Stack, parse, setup =>
        {
            var request = new Upload(http.Url(parse), parse.GetValue(file)!, parse.GetValue(method) == "POST" ? HttpMethod.Post : HttpMethod.Put,
                                     parse.GetValue(output), http.IdleTimeout(parse));
            return HttpTransfer.Run(http.WithDns(parse, setup), http.Trust(parse, setup), (network, client) => UploadAsync(network, client, request));
        }));
        return command;
    }

    /// <summary>What to send where: the URL, the body's file ('-': stdin), the method, where the response goes (null: stdout), the idle timeout.</summary>
    private sealed record Upload(Uri Url, string File, HttpMethod Method, string? Output, TimeSpan IdleTimeout);

    private static async Task<int> UploadAsync(NetworkStack network, HttpClient client, Upload upload)
    {
        var url = upload.Url;
        var start = MonotonicClock.Now;
        long? size = upload.File != "-" && Libc.IsRegularFile(upload.File) ? new FileInfo(upload.File).Length : null;
        UploadContent? content = null;
        try
        {
            using var idle = new CancellationTokenSource(upload.IdleTimeout);
            await using var source = upload.File == "-" ? Console.OpenStandardInput() : new FileStream(upload.File, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: false);
            var progress = new TransferProgress(size);
            content = new UploadContent(source, size, sent =>
            {
                idle.CancelAfter(upload.IdleTimeout);
                progress.Report(sent);
            });
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var request = new HttpRequestMessage(upload.Method, url) { Content = content };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            progress.Done(content.BytesSent);
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"usertcp put: {url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}{HttpTransfer.Progress(content.BytesSent, size)} sent");
                return 1;
            }
            await using (var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false))
            await using (var sink = upload.Output is null or "-" ? Console.OpenStandardOutput() : new FileStream(upload.Output, FileMode.Create, FileAccess.Write, FileShare.None))
                await body.CopyToAsync(sink, idle.Token).ConfigureAwait(false);
            Console.Error.WriteLine(await HttpTransfer.SummaryAsync(network, url, content.BytesSent, content.BytesSent == size ? "" : " (chunked)", MonotonicClock.Now - start,
                $"; HTTP {(int)response.StatusCode} {response.ReasonPhrase}").ConfigureAwait(false));
            return 0;
        }
        catch (Exception e) when (HttpTransfer.IsTransferFailure(e))
        {
            Console.Error.WriteLine($"usertcp put: {url}: {HttpTransfer.Describe(e, upload.IdleTimeout)}{HttpTransfer.Progress(content?.BytesSent ?? 0, size)}");
            return 1;
        }
    }
}
