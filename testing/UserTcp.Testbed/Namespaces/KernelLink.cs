using UserTcp.Fast.Wire;
using UserTcp.Testbed.Frames;

namespace UserTcp.Testbed.Namespaces;

/// <summary>
/// A link between the stack's device and the Linux kernel of a fresh <see cref="NetworkNamespace"/>, where the kernel holds
/// <see cref="KernelAddress"/>/24 on <see cref="KernelInterface"/> and the stack is to claim <see cref="StackAddress"/>.
/// What the kinds of link share: the kernel's end, a frame generator there, and one teardown (the namespace takes the
/// kernel's end with it).
/// </summary>
internal abstract class KernelLink(NetworkNamespace kernel, string kernelInterface, Ipv4Address kernelAddress, Ipv4Address stackAddress) : IDisposable
{
    public NetworkNamespace Kernel => kernel;
    public string KernelInterface => kernelInterface;
    public Ipv4Address KernelAddress => kernelAddress;
    public Ipv4Address StackAddress => stackAddress;
    public MacAddress KernelMac { get; private set; }
    /// <summary>The MAC the stack's frames come from on this link.</summary>
    public abstract MacAddress StackMac { get; }

    /// <summary>Gives the kernel's end its address and brings it up (once the interface exists in <see cref="Kernel"/>).</summary>
    protected void BringUpKernelEnd() => KernelMac = NetworkNamespace.LinkUp(kernel.Name, kernelInterface, $"{kernelAddress}/24");

    /// <summary>Makes the kernel send to <paramref name="address"/> at the stack's MAC without asking ARP first.</summary>
    public void AddKernelNeighbour(Ipv4Address address) =>
        kernel.Exec("ip", "neigh", "replace", $"{address}", "lladdr", $"{StackMac}", "dev", kernelInterface, "nud", "permanent");

    /// <summary>A generator on the kernel's end: frames it writes reach the stack's device as the kernel's would.</summary>
    public RawFrameSender OpenKernelSender() => kernel.Enter(() => RawFrameSender.Open(kernelInterface));

    /// <summary>UDP from the kernel's address to <paramref name="destination"/> (default: the stack's) at the stack's MAC.</summary>
    public byte[] KernelUdpFrame(int payloadLength, Ipv4Address? destination = null) =>
        LiveFrames.Udp(KernelMac, StackMac, kernelAddress, destination ?? stackAddress, payloadLength);

    public virtual void Dispose() => kernel.Dispose();
}
