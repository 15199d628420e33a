using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices;

/// <summary>A network interface as <see cref="LinuxInterface.Read"/> found it.</summary>
/// <param name="MacAddress">Its hardware address (all zeros on loopback).</param>
/// <param name="Mtu">Its IP MTU.</param>
/// <param name="IsVirtual">A software device (veth, TAP, bridge, loopback...) with no parent device on a bus, so its
/// peer may be this host's own kernel; false for a NIC.</param>
internal readonly record struct InterfaceFacts(MacAddress MacAddress, int Mtu, bool IsVirtual);
