using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UserTcp.Fast.Api;
using UserTcp.Fast.AspNetCore;

namespace UserTcp.Cli.Commands;

/// <summary>
/// <c>usertcp serve --root DIR</c>: the files under a directory over HTTP/1.1, served by Kestrel through the stack's
/// transport (<see cref="UserTcpWebHostBuilderExtensions.UseUserTcp"/>). ASP.NET Core's static-file middleware answers
/// GET and HEAD (Range requests with 206, validators, keep-alive); a missing file is 404, any other method 405.
/// Ctrl+C or SIGTERM (the host's console lifetime) stops it gracefully: no new connections, requests in flight get
/// <see cref="ShutdownTimeout"/> to finish, then their connections are reset.
/// </summary>
internal static class StaticFileServer
{
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);
    /// <summary>How long the stack's connections may take to finish closing once Kestrel stopped.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    public static int Run(NetworkStack network, DirectoryInfo root, int port, int backlog, double seconds, TextWriter output) =>
        Run(root, seconds, output, $"{network.Address}:{port}", web =>
        {
            web.UseUserTcp(options =>
            {
                options.Stack = network;
                options.Backlog = backlog;
            });
            web.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Any, port));
        }, () => Drain(network));

    /// <summary>
    /// The same app on Kestrel's own socket transport (kernel sockets) at <paramref name="endpoint"/>: what
    /// bench/run-serve.sh compares the stack with, everything but the transport alike.
    /// </summary>
    public static int RunOnKernelSockets(IPEndPoint endpoint, DirectoryInfo root, int backlog, double seconds, TextWriter output) =>
        Run(root, seconds, output, endpoint.ToString(), web =>
        {
            web.UseSockets(options => options.Backlog = backlog);
            web.ConfigureKestrel(kestrel => kestrel.Listen(endpoint));
        }, () => 0);

    /// <param name="transport">Chooses the transport and the endpoint it listens on.</param>
    /// <param name="drain">After Kestrel stopped: waits for the transport's connections to close, returns how many were left.</param>
    private static int Run(DirectoryInfo root, double seconds, TextWriter output, string where, Action<IWebHostBuilder> transport, Func<int> drain)
    {
        // The content root is the binary's folder, so an appsettings.json among the served files never configures the server.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        transport(builder.WebHost);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        using var app = builder.Build();
        long requests = 0;
        app.Use((context, next) =>
        {
            Interlocked.Increment(ref requests);
            if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            {
                context.Features.Set<IHttpResponseBodyFeature>(new FileReadingResponseBody(context.Features.GetRequiredFeature<IHttpResponseBodyFeature>()));
                return next(context);
            }
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return Task.CompletedTask;
        });
        var files = new PhysicalFileProvider(root.FullName);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files, ServeUnknownFileTypes = true, DefaultContentType = "application/octet-stream" });
        // Whatever the static files do not answer falls off the pipeline's end: 404.

        app.Start();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"serving {root.FullName} over HTTP on {where}"));
        output.Flush();
        using var timer = seconds > 0 ? new Timer(_ => app.Lifetime.StopApplication(), null, TimeSpan.FromSeconds(seconds), Timeout.InfiniteTimeSpan) : null;
        app.WaitForShutdown(); // Ctrl+C, SIGTERM or --duration; returns once Kestrel stopped
        int open = drain();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"stopped after {Interlocked.Read(ref requests)} requests{(open > 0 ? $"; {open} connections still open were dropped" : "")}"));
        return 0;
    }

    /// <summary>
    /// Waits until the stack holds no connection but those in TIME-WAIT, at most <see cref="DrainTimeout"/>; returns how
    /// many are left. Kestrel is done with a response once the stack's send buffer took its last byte, and an aborted
    /// connection's RST leaves on the poll thread's next turn: a process that exited then would leave its clients waiting
    /// for bytes, a FIN or a RST that never come (nothing answers for the stack's address afterwards).
    /// </summary>
    private static int Drain(NetworkStack network)
    {
        var end = DateTime.UtcNow + DrainTimeout;
        int open;
        while ((open = network.InvokeAsync(loop => loop.Interface.Tcp.ConnectionCount).GetAwaiter().GetResult()) > 0 && DateTime.UtcNow < end)
            Thread.Sleep(20);
        network.InvokeAsync(loop => loop.Interface.Tcp.ConnectionCount).GetAwaiter().GetResult(); // one more turn: its flush sends the last RST or FIN
        return open;
    }
}
