using UserTcp.Fast.Devices.Tap;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Namespaces;

/// <summary>
/// A <see cref="TapDevice"/> created inside a fresh namespace (opened on a thread that entered it with setns(2), so the
/// TAP is born there), the kernel side given 198.18.5.1/24 and brought up. Disposing closes the device, which removes
/// the TAP, and deletes the namespace.
/// </summary>
internal sealed class TapLink : KernelLink
{
    private TapLink(NetworkNamespace kernel, TapDevice device)
        : base(kernel, device.Name, new Ipv4Address(198, 18, 5, 1), new Ipv4Address(198, 18, 5, 2)) => Device = device;

    public TapDevice Device { get; }
    public override MacAddress StackMac => Device.MacAddress;

    /// <summary>The name a TAP of namespace <paramref name="space"/> gets (within the kernel's 15 characters).</summary>
    public static string TapNameIn(NetworkNamespace space) => space.Name + "t";

    /// <param name="batchedReads"><see cref="TapDeviceOptions.BatchedReads"/>.</param>
    public static TapLink Create(bool batchedReads = true)
    {
        var space = NetworkNamespace.Create();
        TapDevice? device = null;
        try
        {
            string name = TapNameIn(space);
            device = space.Enter(() => new TapDevice(new TapDeviceOptions { InterfaceName = name, BatchedReads = batchedReads }));
            var link = new TapLink(space, device);
            link.BringUpKernelEnd();
            return link;
        }
        catch
        {
            device?.Dispose();
            space.Dispose();
            throw;
        }
    }

    public override void Dispose()
    {
        try
        {
            Device.Dispose();
        }
        finally
        {
            base.Dispose();
        }
    }
}
