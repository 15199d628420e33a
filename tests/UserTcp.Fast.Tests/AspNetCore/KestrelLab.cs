using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UserTcp.Fast.Api;
using UserTcp.Fast.AspNetCore;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.AspNetCore;

/// <summary>
/// Kestrel on one stack (<see cref="Server"/>, through the UserTcp transport), a second stack as its client
/// (<see cref="Client"/>, with an HttpClient over it), both on their own poll threads and joined by a
/// <see cref="SocketPairDevice"/> cable: no kernel network, no root.
/// </summary>
internal sealed class KestrelLab : IAsyncDisposable
{
    public static readonly Ipv4Address ServerAddress = new(198, 18, 0, 21), ClientAddress = new(198, 18, 0, 22);
    public const int Port = 8080;

    private KestrelLab(NetworkStack server, NetworkStack client, WebApplication app, ConcurrentQueue<ConnectionContext> connections)
    {
        Connections = connections;
        Server = server;
        Client = client;
        App = app;
        Http = new HttpClient(client.CreateHttpHandler()) { BaseAddress = new Uri($"http://{ServerAddress}:{Port}/"), Timeout = TimeSpan.FromSeconds(120) };
    }

    public NetworkStack Server { get; }
    public NetworkStack Client { get; }
    public WebApplication App { get; }
    public HttpClient Http { get; }
    /// <summary>Every connection context Kestrel got from the transport, in order.</summary>
    public ConcurrentQueue<ConnectionContext> Connections { get; }

    public static async Task<KestrelLab> StartAsync(Action<WebApplication> map, Action<UserTcpTransportOptions>? transport = null)
    {
        var (a, b) = SocketPairDevice.CreatePair();
        var server = NetworkStack.Start(new NetworkStackOptions { Device = a, Address = ServerAddress, PrefixLength = 24, DnsServers = [], Seed = 21 });
        var client = NetworkStack.Start(new NetworkStackOptions { Device = b, Address = ClientAddress, PrefixLength = 24, DnsServers = [], Seed = 22 });
        var connections = new ConcurrentQueue<ConnectionContext>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUserTcp(options =>
        {
            options.Stack = server;
            transport?.Invoke(options);
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Any, Port, listen => listen.Use(next => context =>
            {
                connections.Enqueue(context);
                return next(context);
            }));
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new KestrelLab(server, client, app, connections);
    }

    /// <summary>TCP connections the server's engine still holds (any state), read on its poll thread.</summary>
    public Task<int> ServerConnectionsAsync() => Server.InvokeAsync(loop => loop.Interface.Tcp.ConnectionCount);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Client.Dispose();
        Server.Dispose();
    }
}
