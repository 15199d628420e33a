using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Labs;

namespace UserTcp.Testbed.Namespaces;

/// <summary>
/// A veth pair for pcap tests. The stack's end (<see cref="StackInterface"/>) stays in the test process's own network
/// namespace, so tests open the device on any thread. The kernel's end is in a fresh namespace where
/// the kernel holds 198.18.0.1/24. The stack's end has no address, IPv6 off and forwarding off, so this process's kernel
/// neither answers nor forwards what arrives on it.
/// </summary>
internal sealed class VethLink : KernelLink
{
    private MacAddress _stackMac;

    private VethLink(NetworkNamespace kernel)
        : base(kernel, kernel.Name + "b", new Ipv4Address(198, 18, 0, 1), new Ipv4Address(198, 18, 0, 2)) =>
        StackInterface = kernel.Name + "a";

    public string StackInterface { get; }
    public override MacAddress StackMac => _stackMac;
    /// <summary>An address on the link that is not the stack's: the device's filter must keep its frames out.</summary>
    public Ipv4Address OtherAddress { get; } = new(198, 18, 0, 3);

    /// <param name="prefix">The start of the namespace's name (and of the veth ends' names after it): a test's own.</param>
    public static VethLink Create(int mtu = 1500, string prefix = "utd")
    {
        var link = new VethLink(NetworkNamespace.Create(prefix));
        try
        {
            Tool.Run(["ip", "link", "add", link.StackInterface, "mtu", $"{mtu}", "type", "veth",
                      "peer", "name", link.KernelInterface, "mtu", $"{mtu}", "netns", link.Kernel.Name]);
            File.WriteAllText($"/proc/sys/net/ipv6/conf/{link.StackInterface}/disable_ipv6", "1");
            File.WriteAllText($"/proc/sys/net/ipv4/conf/{link.StackInterface}/forwarding", "0");
            Tool.Run(["ip", "link", "set", link.StackInterface, "up"]);
            link._stackMac = MacAddress.Parse(File.ReadAllText($"/sys/class/net/{link.StackInterface}/address").Trim());
            link.BringUpKernelEnd();
            return link;
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    public PcapDevice OpenDevice(int? kernelBufferBytes = null, PcapReceivePath receivePath = PcapReceivePath.Auto) =>
        new(new PcapDeviceOptions { InterfaceName = StackInterface, StackAddress = StackAddress, KernelBufferBytes = kernelBufferBytes, ReceivePath = receivePath });

    public override void Dispose()
    {
        // Deleting the namespace destroys the kernel's end, and with it ours; deleting ours first is tidier when it exists.
        try
        {
            if (Directory.Exists($"/sys/class/net/{StackInterface}")) Tool.TryRun(["ip", "link", "delete", StackInterface]);
        }
        finally
        {
            base.Dispose();
        }
    }
}
