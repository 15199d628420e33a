using UserTcp.Fast.Devices;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>The kernel's route file as a host (x86-64 or arm64: little-endian) prints it, and what the stack takes from it.</summary>
public sealed class KernelRoutesTests
{
    // `ip route`: default via 198.18.1.1 dev lan metric 100; default via 10.9.9.1 dev other; 198.18.1.0/24 dev lan;
    // 198.18.0.0/16 dev lan; a down route (flags 0) that must be left out; a truncated line.
    private const string RouteFile =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       \n" +
        "lan\t00000000\t010112C6\t0003\t0\t0\t100\t00000000\t0\t0\t0                                                                               \n" +
        "other\t00000000\t0109090A\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                            \n" +
        "lan\t000112C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                                 \n" +
        "lan\t000012C6\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0                                                                                 \n" +
        "lan\t000213C6\t00000000\t0000\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                                 \n" +
        "lan\t0001\n";

    private static readonly Ipv4Address Stack = new(198, 18, 1, 10);

    [Fact]
    public void Routes_are_parsed_from_host_order_hex()
    {
        var routes = KernelRoutes.Parse(RouteFile);
        Assert.Equal(4, routes.Count);
        Assert.Equal(new KernelRoute("lan", Ipv4Address.Any, 0, new Ipv4Address(198, 18, 1, 1), 100), routes[0]);
        Assert.Equal(new KernelRoute("lan", new Ipv4Address(198, 18, 1, 0), 24, null, 0), routes[2]);
    }

    [Fact] // the interface's own default gateway, and only one the stack can reach on its subnet
    public void The_default_gateway_is_the_interfaces_and_on_the_subnet()
    {
        var routes = KernelRoutes.Parse(RouteFile);
        Assert.Equal(new Ipv4Address(198, 18, 1, 1), KernelRoutes.DefaultGateway(routes, "lan", Stack, 24));
        Assert.Null(KernelRoutes.DefaultGateway(routes, "lan", new Ipv4Address(203, 0, 113, 5), 24));
        Assert.Null(KernelRoutes.DefaultGateway(routes, "missing", Stack, 24));
    }

    [Fact] // the longest on-link prefix holding the address
    public void The_on_link_prefix_is_the_longest_that_holds_the_address()
    {
        var routes = KernelRoutes.Parse(RouteFile);
        Assert.Equal(24, KernelRoutes.OnLinkPrefix(routes, "lan", Stack));
        Assert.Equal(16, KernelRoutes.OnLinkPrefix(routes, "lan", new Ipv4Address(198, 18, 7, 7)));
        Assert.Null(KernelRoutes.OnLinkPrefix(routes, "lan", new Ipv4Address(198, 19, 2, 1))); // that /24 is down
    }
}
