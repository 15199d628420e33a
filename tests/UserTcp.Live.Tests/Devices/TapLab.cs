using UserTcp.Fast.Devices.Tap;
using UserTcp.Fast.Wire;
using UserTcp.Live.Tests.Support;
using UserTcp.Testbed.Namespaces;

namespace UserTcp.Live.Tests.Devices;

/// <summary>
/// A <see cref="TapDevice"/> created inside a fresh namespace (opened on a thread that entered it with setns(2), so the
/// TAP is born there), the kernel side given 198.18.5.1/24 and brought up. Disposing closes the device, which removes
/// the TAP, and deletes the namespace.
/// </summary>
internal sealed class TapLab : IDisposable
{
    public static readonly Ipv4Address KernelAddress = new(198, 18, 5, 1);
    public static readonly Ipv4Address StackAddress = new(198, 18, 5, 2);

    private TapLab(NetworkNamespace space, TapDevice device)
    {
        Namespace = space;
        Device = device;
    }

    public NetworkNamespace Namespace { get; }
    public TapDevice Device { get; }
    public MacAddress KernelMac { get; private set; }

    public static string TapNameIn(NetworkNamespace space) => space.Name + "t";

    public static TapLab Create()
    {
        var space = NetworkNamespace.Create();
        TapDevice? device = null;
        try
        {
            string name = TapNameIn(space);
            device = space.Enter(() => new TapDevice(new TapDeviceOptions { InterfaceName = name }));
            var lab = new TapLab(space, device);
            space.Exec("sysctl", "-qw", $"net.ipv6.conf.{name}.disable_ipv6=1");
            space.Exec("ip", "addr", "add", $"{KernelAddress}/24", "dev", name);
            space.Exec("ip", "link", "set", name, "up");
            lab.KernelMac = MacAddress.Parse(space.Exec("cat", $"/sys/class/net/{name}/address").Output.Trim());
            return lab;
        }
        catch
        {
            device?.Dispose();
            space.Dispose();
            throw;
        }
    }

    /// <summary>A generator on the kernel side of the TAP: what it writes comes out of our descriptor.</summary>
    public RawFrameSender OpenKernelSideSender() => Namespace.Enter(() => RawFrameSender.Open(Device.Name));

    public byte[] KernelUdpFrame(int payloadLength) => LiveFrames.Udp(KernelMac, Device.MacAddress, KernelAddress, StackAddress, payloadLength);

    public void Dispose()
    {
        try
        {
            Device.Dispose();
        }
        finally
        {
            Namespace.Dispose();
        }
    }
}
