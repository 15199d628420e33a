using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace UserTcp.Fast.AspNetCore;

/// <summary>Runs Kestrel on the user-space stack.</summary>
public static class UserTcpWebHostBuilderExtensions
{
    /// <summary>
    /// Makes Kestrel accept its IPv4 endpoints on the user-space stack: endpoints on the stack's address or on
    /// <c>IPAddress.Any</c> bind there (<c>options.ListenAnyIP(80)</c>, say); other endpoints are left to Kestrel's other
    /// transports. <paramref name="configure"/> gives the stack (<see cref="UserTcpTransportOptions.Stack"/>) or the options
    /// to start one.
    /// </summary>
    public static IWebHostBuilder UseUserTcp(this IWebHostBuilder builder, Action<UserTcpTransportOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return builder.ConfigureServices(services =>
        {
            var options = new UserTcpTransportOptions();
            configure(options);
            // Kestrel tries the transports registered last first, so this one sees its endpoints before the sockets transport.
            services.AddSingleton<IConnectionListenerFactory>(provider =>
                new UserTcpTransportFactory(options, provider.GetService<IMemoryPoolFactory<byte>>()));
        });
    }
}
