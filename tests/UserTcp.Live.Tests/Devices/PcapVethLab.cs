using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Wire;
using UserTcp.Live.Tests.Support;
using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Devices;

/// <summary>
/// A veth pair for pcap tests. Our end (<see cref="LocalName"/>) stays in the test process's own network namespace,
/// so the device finds it in /sys exactly as it does in production (sysfs shows the namespace of whoever mounted it,
/// and a setns(2) thread would read another namespace's /sys). The peer end is in a fresh namespace where the kernel
/// holds 198.18.0.1/24. Our end has no address, IPv6 off and forwarding off, so this process's kernel neither answers
/// nor forwards what arrives on it.
/// </summary>
internal sealed class PcapVethLab : IDisposable
{
    public static readonly Ipv4Address KernelAddress = new(198, 18, 0, 1);
    public static readonly Ipv4Address StackAddress = new(198, 18, 0, 2);
    /// <summary>An address on the link that is not the stack's: the filter must keep its frames out.</summary>
    public static readonly Ipv4Address OtherAddress = new(198, 18, 0, 3);

    private PcapVethLab(NetworkNamespace peer)
    {
        Peer = peer;
        LocalName = peer.Name + "a";
        PeerName = peer.Name + "b";
    }

    public NetworkNamespace Peer { get; }
    public string LocalName { get; }
    public string PeerName { get; }
    public MacAddress LocalMac { get; private set; }
    public MacAddress PeerMac { get; private set; }

    public static PcapVethLab Create(int mtu = 1500)
    {
        var lab = new PcapVethLab(NetworkNamespace.Create());
        try
        {
            var timeout = TimeSpan.FromSeconds(20);
            ProcessRunner.RunChecked("ip", ["link", "add", lab.LocalName, "mtu", $"{mtu}", "type", "veth", "peer", "name", lab.PeerName, "mtu", $"{mtu}", "netns", lab.Peer.Name], timeout);
            File.WriteAllText($"/proc/sys/net/ipv6/conf/{lab.LocalName}/disable_ipv6", "1");
            File.WriteAllText($"/proc/sys/net/ipv4/conf/{lab.LocalName}/forwarding", "0");
            ProcessRunner.RunChecked("ip", ["link", "set", lab.LocalName, "up"], timeout);
            lab.Peer.Exec("sysctl", "-qw", $"net.ipv6.conf.{lab.PeerName}.disable_ipv6=1");
            lab.Peer.Exec("ip", "addr", "add", $"{KernelAddress}/24", "dev", lab.PeerName);
            lab.Peer.Exec("ip", "link", "set", lab.PeerName, "up");
            lab.LocalMac = MacAddress.Parse(File.ReadAllText($"/sys/class/net/{lab.LocalName}/address").Trim());
            lab.PeerMac = MacAddress.Parse(lab.Peer.Exec("cat", $"/sys/class/net/{lab.PeerName}/address").Output.Trim());
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    public PcapDevice OpenDevice(int kernelBufferBytes = PcapDeviceOptions.DefaultKernelBufferBytes) =>
        new(new PcapDeviceOptions { InterfaceName = LocalName, StackAddress = StackAddress, KernelBufferBytes = kernelBufferBytes });

    /// <summary>Makes the peer kernel send to <paramref name="address"/> at our end's MAC without asking ARP first.</summary>
    public void AddPeerNeighbour(Ipv4Address address) =>
        Peer.Exec("ip", "neigh", "replace", $"{address}", "lladdr", $"{LocalMac}", "dev", PeerName, "nud", "permanent");

    /// <summary>A generator on the peer end: frames it writes arrive at our end as the kernel's would.</summary>
    public RawFrameSender OpenPeerSender() => Peer.Enter(() => RawFrameSender.Open(PeerName));

    /// <summary>UDP from the peer to <paramref name="destination"/> at our end's MAC.</summary>
    public byte[] PeerUdpFrame(int payloadLength, Ipv4Address? destination = null) =>
        LiveFrames.Udp(PeerMac, LocalMac, KernelAddress, destination ?? StackAddress, payloadLength);

    public void Dispose()
    {
        // Deleting the namespace destroys the peer end, and with it our end; deleting ours first is tidier when it exists.
        try
        {
            if (Directory.Exists($"/sys/class/net/{LocalName}")) ProcessRunner.Run("ip", ["link", "delete", LocalName], TimeSpan.FromSeconds(20));
        }
        finally
        {
            Peer.Dispose();
        }
    }
}
