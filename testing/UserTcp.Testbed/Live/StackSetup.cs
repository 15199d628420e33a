using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Api;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Live;

/// <summary>Where and how the stack runs, as parsed from the shared options of every command that runs it.</summary>
internal sealed record StackSetup(
    string? Lab,
    string? InterfaceName,
    Ipv4Address Address,
    int PrefixLength,
    Ipv4Address? Gateway,
    FileInfo? Pcap,
    bool Stats,
    ChecksumPolicy Checksums,
    AckPolicy AckPolicy,
    PollMode PollMode)
{
    /// <summary>
    /// A TAP interface to run on instead of pcap on <see cref="InterfaceName"/> (<c>--tap</c>, or a lab made with
    /// <c>--stack-link tap</c>): attached when a persistent one of that name exists, created otherwise.
    /// </summary>
    public string? TapName { get; init; }

    /// <summary>The adaptive mode's longest spin; null for the stack's default.</summary>
    public TimeSpan? PollBudget { get; init; }

    /// <summary>DNS servers for names; null for /etc/resolv.conf's. The lab's own with --lab.</summary>
    public IReadOnlyList<Ipv4Address>? DnsServers { get; init; }

    /// <summary>The address, prefix, gateway and (unless <see cref="DnsServers"/> is set) DNS servers come from DHCP
    /// (<see cref="NetworkStackOptions.Dhcp"/>); <see cref="Address"/> is then 0.0.0.0.</summary>
    public bool Dhcp { get; init; }

    /// <summary>The lab's self-signed HTTPS certificate (PEM) with --lab, which https clients then trust.</summary>
    public string? LabCertificateFile { get; init; }

    /// <summary>Most frames per sendmmsg(2) on the pcap device (<see cref="PcapDeviceOptions.SendBatchFrames"/>; 1: a write(2) per frame).</summary>
    public int SendBatchFrames { get; init; } = PcapDeviceOptions.DefaultSendBatchFrames;

    /// <summary>The pcap device's capture buffer (<see cref="PcapDeviceOptions.KernelBufferBytes"/>); null sizes it for one
    /// connection's largest receive window.</summary>
    public int? CaptureBufferBytes { get; init; }

    /// <summary>How the pcap device takes frames from the kernel (<see cref="PcapDeviceOptions.ReceivePath"/>); null: the
    /// command's default (<see cref="PcapReceivePath.Auto"/>, or the ring for a long-lived server).</summary>
    public PcapReceivePath? ReceivePath { get; init; }

    /// <summary>
    /// 32 MiB, the fixed buffer the stack asked for before rings were sized from the window: for what must absorb more than
    /// one connection's window in bursts (a server's many connections, thousands of receiving clients, a replay at full speed).
    /// </summary>
    public const int LargeCaptureBufferBytes = 32 << 20;

    /// <summary>PACKET_QDISC_BYPASS on the pcap device's socket (<see cref="PcapDeviceOptions.QdiscBypass"/>).</summary>
    public bool QdiscBypass { get; init; }

    /// <summary>Segmentation offload on the pcap device's sends (<see cref="PcapDeviceOptions.SegmentationOffload"/>); on a TAP,
    /// the kernel's offloads towards the stack (<see cref="UserTcp.Fast.Devices.Tap.TapDeviceOptions.Offloads"/>).</summary>
    public bool SegmentationOffload { get; init; } = true;
    /// <summary>On a TAP, frames read in batches through io_uring (<see cref="UserTcp.Fast.Devices.Tap.TapDeviceOptions.BatchedReads"/>).</summary>
    public bool TapBatchedReads { get; init; } = true;
    /// <summary>
    /// Host-address mode (<c>--ip host</c>): <see cref="Address"/> is the kernel's own address of the interface, shared
    /// (<see cref="NetworkStackOptions.SharesHostAddress"/>); the command fills it in with <see cref="LocalPorts"/> from a
    /// <see cref="Fast.Devices.HostMode.HostAddressLease"/>.
    /// </summary>
    public bool SharesHostAddress { get; init; }

    /// <summary>The stack's local ports (<see cref="NetworkStackOptions.LocalPorts"/>); null for the default range.</summary>
    public PortRange? LocalPorts { get; init; }

    /// <summary>Half-open connections a listener keeps before SYN cookies (<see cref="TcpConfig.MaxSynBacklog"/>); null for the default.</summary>
    public int? MaxSynBacklog { get; init; }

    /// <summary>
    /// With no gateway given, the kernel's default gateway for this interface, as a host routes (read in the calling
    /// thread's namespace: call it after entering a lab's). Not for a TAP, whose kernel side is the user's own network, nor
    /// with DHCP, whose lease names the router.
    /// </summary>
    public StackSetup WithKernelGateway()
    {
        if (Gateway is not null || TapName is not null || Dhcp || InterfaceName is not { } name) return this;
        return this with { Gateway = KernelRoutes.DefaultGateway(KernelRoutes.Read(), name, Address, PrefixLength) };
    }

    /// <summary>The stack's options on <paramref name="device"/>.</summary>
    public NetworkStackOptions ToOptions(INetworkDevice device)
    {
        var options = new NetworkStackOptions
        {
            Device = device,
            Address = Address,
            PrefixLength = PrefixLength,
            Gateway = Gateway,
            Dhcp = Dhcp,
            Checksums = Checksums,
            Tcp = MaxSynBacklog is { } synBacklog ? new TcpConfig { AckPolicy = AckPolicy, MaxSynBacklog = synBacklog } : new TcpConfig { AckPolicy = AckPolicy },
            PollMode = PollMode,
            DnsServers = DnsServers,
            LocalPorts = LocalPorts,
            SharesHostAddress = SharesHostAddress,
            Clock = static () => MonotonicClock.Now, // a live device: ACK delays end when the ACKs are written
        };
        return PollBudget is { } budget ? options with { AdaptivePollBudget = budget } : options;
    }

    /// <summary>
    /// The stack in lab <paramref name="lab"/>'s client namespace: its interface (the veth end, or the lab's TAP) and the
    /// address it claims (the lab must be up).
    /// </summary>
    public static StackSetup ForLab(string lab, FileInfo? pcap = null, bool stats = false, ChecksumPolicy checksums = ChecksumPolicy.Auto,
                                    AckPolicy ackPolicy = AckPolicy.Cumulative, PollMode pollMode = PollMode.Sleep,
                                    TimeSpan? pollBudget = null)
    {
        var info = Labs.Lab.Status(lab);
        Ipv4Address? gateway = info.Gateway is { } g ? Ipv4Address.Parse(g) : null;
        return new StackSetup(lab, info.ClientIface, Ipv4Address.Parse(info.ClientIp), info.Prefix, gateway, pcap, stats, checksums, ackPolicy, pollMode)
        {
            PollBudget = pollBudget,
            TapName = info.TapIface,
            DnsServers = [Ipv4Address.Parse(info.DnsServer)],
            LabCertificateFile = info.CaCert,
        };
    }
}
