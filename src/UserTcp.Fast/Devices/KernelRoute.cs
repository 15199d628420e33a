using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices;

/// <summary>One IPv4 route of the kernel's main table, as <see cref="KernelRoutes"/> read it.</summary>
/// <param name="Interface">The interface it leaves by.</param>
/// <param name="Destination">The network (0.0.0.0 for the default route).</param>
/// <param name="PrefixLength">The network's prefix length (0 for the default route).</param>
/// <param name="Gateway">The next hop; null for an on-link route (the destination itself is the next hop).</param>
/// <param name="Metric">Lower wins among routes of the same prefix length.</param>
internal readonly record struct KernelRoute(string Interface, Ipv4Address Destination, int PrefixLength, Ipv4Address? Gateway, int Metric);
