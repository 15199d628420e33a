using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices;

/// <summary>
/// Facts about a network interface read from /sys/class/net. Sysfs shows the network namespace of the process that
/// mounted it: right for a process started in the namespace (<c>ip netns exec</c> remounts /sys), wrong for a thread
/// that entered another namespace with setns(2).
/// </summary>
internal static class LinuxInterface
{
    private const string ClassRoot = "/sys/class/net";
    /// <summary>Software interfaces (veth, tap, bridge, dummy...) live here; physical NICs under their bus (pci...).</summary>
    private const string VirtualDevicesRoot = "/sys/devices/virtual/";

    public static bool Exists(string name) => Directory.Exists(Path.Combine(ClassRoot, name));

    public static MacAddress MacAddress(string name) => Parse(name, "address", static text => Wire.MacAddress.Parse(text));

    public static int Mtu(string name) => Parse(name, "mtu", static text => int.Parse(text, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>True when the interface is a software device, so its peer may be this host's own kernel.</summary>
    public static bool IsVirtual(string name)
    {
        var target = Directory.ResolveLinkTarget(Path.Combine(ClassRoot, name), returnFinalTarget: true);
        return target is not null && target.FullName.StartsWith(VirtualDevicesRoot, StringComparison.Ordinal);
    }

    private static T Parse<T>(string name, string attribute, Func<string, T> parse)
    {
        string path = Path.Combine(ClassRoot, name, attribute);
        try
        {
            return parse(File.ReadAllText(path).Trim());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new DeviceUnavailableException(DeviceUnavailableReason.NoSuchInterface, $"{name}: cannot read {path}: {e.Message}", e);
        }
    }
}
