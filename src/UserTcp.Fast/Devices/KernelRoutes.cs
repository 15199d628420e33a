using System.Globalization;
using System.Numerics;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices;

/// <summary>
/// The kernel's IPv4 routes, so the stack routes as its host does when the user names no gateway: the default gateway and
/// the on-link prefix of an interface. Read from <c>/proc/thread-self/net/route</c> (the main table, as <c>route -n</c>
/// shows it), which is the calling thread's network namespace, as <see cref="LinuxInterface"/>'s netlink socket is.
/// </summary>
internal static class KernelRoutes
{
    private const string RouteFile = "/proc/thread-self/net/route";
    private const int FlagUp = 0x1, FlagGateway = 0x2;

    /// <summary>The routes of the calling thread's namespace that are up; empty where there is no such file (not Linux).</summary>
    public static IReadOnlyList<KernelRoute> Read() => File.Exists(RouteFile) ? Parse(File.ReadAllText(RouteFile)) : [];

    /// <summary>
    /// The default route's gateway through <paramref name="interfaceName"/> with the lowest metric, if it lies on
    /// <paramref name="address"/>/<paramref name="prefixLength"/> (a gateway the stack cannot reach by ARP is no use to it).
    /// </summary>
    public static Ipv4Address? DefaultGateway(IReadOnlyList<KernelRoute> routes, string interfaceName, Ipv4Address address, int prefixLength) =>
        routes.Where(r => r.Interface == interfaceName && r.PrefixLength == 0 && r.Gateway is { } g && g.IsInSubnet(address, prefixLength))
              .OrderBy(r => r.Metric).Select(r => r.Gateway).FirstOrDefault();

    /// <summary>The longest on-link prefix of <paramref name="interfaceName"/> that holds <paramref name="address"/>, if any.</summary>
    public static int? OnLinkPrefix(IReadOnlyList<KernelRoute> routes, string interfaceName, Ipv4Address address) =>
        routes.Where(r => r.Interface == interfaceName && r.Gateway is null && r.PrefixLength > 0 && address.IsInSubnet(r.Destination, r.PrefixLength))
              .Select(r => (int?)r.PrefixLength).Max();

    /// <summary>
    /// Parses the route file: a heading line, then "Iface Destination Gateway Flags RefCnt Use Metric Mask ..." per route,
    /// addresses as the hexadecimal of the 32-bit value in host byte order. Routes not up, and lines that do not parse, are left out.
    /// </summary>
    public static IReadOnlyList<KernelRoute> Parse(string text)
    {
        var routes = new List<KernelRoute>();
        foreach (string line in text.Split('\n').Skip(1))
        {
            string[] f = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8 || !TryHex(f[1], out uint destination) || !TryHex(f[2], out uint gateway) || !TryHex(f[3], out uint flags)
                || !int.TryParse(f[6], NumberStyles.None, CultureInfo.InvariantCulture, out int metric) || !TryHex(f[7], out uint mask))
                continue;
            if ((flags & FlagUp) == 0) continue;
            var netmask = HostOrder(mask);
            int prefix = BitOperations.PopCount(netmask.Value);
            routes.Add(new KernelRoute(f[0], HostOrder(destination), prefix, (flags & FlagGateway) != 0 ? HostOrder(gateway) : null, metric));
        }
        return routes;
    }

    private static bool TryHex(string text, out uint value) => uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);

    /// <summary>The kernel prints the address's bytes as one host-order number: write it back in host order and read the bytes.</summary>
    private static Ipv4Address HostOrder(uint printed)
    {
        Span<byte> bytes = stackalloc byte[Ipv4Address.Length];
        BitConverter.TryWriteBytes(bytes, printed);
        return Ipv4Address.Read(bytes);
    }
}
