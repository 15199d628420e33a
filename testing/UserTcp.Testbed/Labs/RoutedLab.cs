using System.Globalization;
using UserTcp.Testbed.Namespaces;

namespace UserTcp.Testbed.Labs;

/// <summary>
/// The routed lab (<c>lab up --topology routed</c>), the network of the original experiment: the client namespace on a
/// LAN (198.18.1.0/24) whose veth end holds a kernel address of its own (<see cref="ClientKernelIp"/>), as a laptop's
/// does; a router namespace with the LAN side <see cref="Gateway"/>, running dnsmasq there as DHCP server (router and DNS
/// options pointing at itself) and as DNS server for the lab zone, and NAT (nftables masquerade) to a remote network
/// (198.19.2.0/24) whose link has a smaller MTU (<see cref="RemoteMtu"/>); and the server namespace behind it with the flat
/// lab's nginx, files and upload sink on <see cref="ServerIp"/>, advertising the MSS of a 1500-byte network. The stack claims <see cref="StackIp"/> (or a DHCP lease)
/// beside the kernel's address; its full-size frames toward the server make the router answer ICMP "fragmentation needed".
/// </summary>
internal static class RoutedLab
{
    public const string Gateway = "198.18.1.1";
    public const string ClientKernelIp = "198.18.1.2";
    /// <summary>The stack's static address: on the LAN, outside the DHCP range, held by no kernel.</summary>
    public const string StackIp = "198.18.1.10";
    public const int LanPrefix = 24;
    public const string DhcpRangeStart = "198.18.1.100";
    public const string DhcpRangeEnd = "198.18.1.199";
    /// <summary>dnsmasq's shortest lease is 2 minutes; long enough for a test, short enough that renewal happens in one.</summary>
    public const int DhcpLeaseSeconds = 120;
    public const string ServerIp = "198.19.2.1";
    public const string RouterRemoteIp = "198.19.2.254";
    public const string RemoteNetwork = "198.19.2.0/24";
    public const int RemotePrefix = 24;
    /// <summary>Below the LAN's 1500: a 1500-byte packet with DF set cannot cross, and the router says so (RFC 1191 §4).</summary>
    public const int RemoteMtu = 1400;
    /// <summary>The MSS the server's SYN-ACK carries: a 1500-byte Ethernet's, above what the remote link lets through.</summary>
    public const int AdvertisedMss = 1460;

    public static LabInfo Create(LabSettings settings, Action<string> progress, CancellationToken cancel)
    {
        var names = settings.Names;
        progress($"creating namespaces {names.ClientNamespace}, {names.RouterNamespace} and {names.ServerNamespace}");
        foreach (string directory in new[] { LabNames.StateRoot, names.StateDirectory, names.WebRoot })
        {
            Directory.CreateDirectory(directory);
            LabFiles.ShareWithNginx(directory);
        }
        NetworkNamespace.Add(names.ServerNamespace);
        NetworkNamespace.Add(names.RouterNamespace);
        NetworkNamespace.Add(names.ClientNamespace);
        // The LAN: client end <-> router's LAN end; the remote link: router's remote end <-> server.
        Tool.Run(["ip", "link", "add", names.ClientInterface, "netns", names.ClientNamespace, "type", "veth",
                  "peer", "name", names.RouterLanInterface, "netns", names.RouterNamespace]);
        Tool.Run(["ip", "link", "add", names.RouterRemoteInterface, "netns", names.RouterNamespace, "type", "veth",
                  "peer", "name", names.ServerInterface, "netns", names.ServerNamespace]);
        foreach (var (netns, device) in new[] { (names.RouterNamespace, names.RouterRemoteInterface), (names.ServerNamespace, names.ServerInterface) })
            Tool.Run(["ip", "-n", netns, "link", "set", device, "mtu", RemoteMtu.ToString(CultureInfo.InvariantCulture)]);
        var clientMac = NetworkNamespace.LinkUp(names.ClientNamespace, names.ClientInterface, $"{ClientKernelIp}/{LanPrefix}");
        NetworkNamespace.LinkUp(names.RouterNamespace, names.RouterLanInterface, $"{Gateway}/{LanPrefix}");
        NetworkNamespace.LinkUp(names.RouterNamespace, names.RouterRemoteInterface, $"{RouterRemoteIp}/{RemotePrefix}");
        var serverMac = NetworkNamespace.LinkUp(names.ServerNamespace, names.ServerInterface, $"{ServerIp}/{RemotePrefix}");
        // The server advertises the MSS of a 1500-byte network (1460), as a distant server does when the small MTU lies on
        // the path between, not on its own link: otherwise its SYN-ACK's MSS (1360) would keep every segment of the
        // client's under the path MTU and the router would never need to say "fragmentation needed".
        Tool.Run(["ip", "-n", names.ServerNamespace, "route", "replace", $"{RemoteNetwork}", "dev", names.ServerInterface, "proto", "kernel",
                  "scope", "link", "src", ServerIp, "advmss", AdvertisedMss.ToString(CultureInfo.InvariantCulture)]);
        // The client routes as a laptop does: everything off the LAN via the router. The server needs no route back: NAT
        // makes every LAN client look like the router's remote address.
        Tool.Run(["ip", "-n", names.ClientNamespace, "route", "add", "default", "via", Gateway]);
        Tool.RunIn(names.RouterNamespace, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
        SetNat(names);
        Lab.SetOffload(names, LabTopology.Routed, settings.Offload);
        SetStackIngressDrop(names);
        if (settings.LossHundredths > 0 || settings.LossUpHundredths > 0) Lab.SetLoss(names, settings.LossHundredths, settings.LossUpHundredths);
        if (settings.Rate is { } rate) Lab.SetRate(names, LabTopology.Routed, rate);
        var files = LabFiles.Sync(names.WebRoot, names.StateDirectory, settings.Files, new Dictionary<string, LabFile>(), ServerIp, progress, cancel);
        Lab.MakeCertificate(names, ServerIp);
        progress("starting nginx and the upload sink on the server, dnsmasq (DHCP and DNS) on the router");
        int nginxPid = Lab.StartNginx(names, ServerIp);
        int dnsmasqPid = StartDnsmasq(names);
        int uploadSinkPid = UploadSink.Start(names, ServerIp);
        var info = new LabInfo(
            names.Name, names.ServerNamespace, names.ClientNamespace, names.ServerInterface, names.ClientInterface,
            ServerIp, StackIp, LanPrefix, serverMac.ToString(), clientMac.ToString(),
            "http://" + ServerIp, files, settings.Offload, LabSettings.Percent(settings.LossHundredths), LabSettings.Percent(settings.LossUpHundredths),
            settings.Rate?.ToString(), settings.Rate?.BitsPerSecond, names.StateDirectory, nginxPid,
            "https://" + ServerIp, names.CertificateFile, Gateway, Lab.HostNames, dnsmasqPid,
            UploadSink.BaseUrlOn(ServerIp) + UploadSink.UploadPath, uploadSinkPid)
        {
            Topology = Lab.TopologyText(LabTopology.Routed),
            RouterNetns = names.RouterNamespace,
            RouterLanIface = names.RouterLanInterface,
            RouterRemoteIface = names.RouterRemoteInterface,
            Gateway = Gateway,
            ClientKernelIp = ClientKernelIp,
            DhcpRangeStart = DhcpRangeStart,
            DhcpRangeEnd = DhcpRangeEnd,
            DhcpLeaseSeconds = DhcpLeaseSeconds,
            DhcpLeaseFile = names.DhcpLeaseFile,
            RemoteNetwork = RemoteNetwork,
            RemoteMtu = RemoteMtu,
            RouterRemoteIp = RouterRemoteIp,
        };
        Lab.Save(names, info);
        return info;
    }

    /// <summary>
    /// Drops IPv4 for the stack's addresses (the static one and the DHCP range) at the client veth's ingress, after the
    /// packet taps, as the flat lab does for its one address: the kernel, which holds only <see cref="ClientKernelIp"/>,
    /// would route each such frame only to drop it (IpInAddrErrors; it never answers them, so this saves CPU, no RSTs).
    /// </summary>
    public static void SetStackIngressDrop(LabNames names) =>
        Lab.SetStackIngressDrop(names, $"{{ {StackIp}, {DhcpRangeStart}-{DhcpRangeEnd} }}");

    /// <summary>Masquerade what leaves for the remote network: the server sees the router's remote address, as behind a home router.</summary>
    private static void SetNat(LabNames names)
    {
        string script = $$"""
            table ip {{names.NatTable}} {
              chain postrouting { type nat hook postrouting priority srcnat; policy accept; oifname "{{names.RouterRemoteInterface}}" masquerade; }
            }

            """;
        Tool.RunIn(names.RouterNamespace, ["nft", "-f", "-"], script);
    }

    /// <summary>
    /// dnsmasq on the router's LAN address: DHCP for the range (router and DNS options: itself; the lease file in the state
    /// directory, every exchange logged) and DNS authoritative for the lab zone as in the flat lab, with the server's
    /// names on its remote address. No upstream, no /etc/hosts, no configuration file.
    /// </summary>
    private static int StartDnsmasq(LabNames names)
    {
        Tool.RunIn(names.RouterNamespace, [
            "dnsmasq", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
            $"--interface={names.RouterLanInterface}", $"--listen-address={Gateway}", $"--pid-file={names.DnsmasqPidFile}",
            $"--log-facility={names.DnsmasqLog}", "--log-dhcp", "--user=nobody", "--group=nogroup",
            $"--dhcp-range={DhcpRangeStart},{DhcpRangeEnd},255.255.255.0,{DhcpLeaseSeconds}s",
            $"--dhcp-option=option:router,{Gateway}", $"--dhcp-option=option:dns-server,{Gateway}",
            $"--dhcp-leasefile={names.DhcpLeaseFile}", "--dhcp-authoritative",
            $"--local=/{Lab.Domain}/", $"--host-record={Lab.ServerName},{ServerIp}",
            $"--cname={Lab.AliasName},{Lab.ServerName}", $"--cname={Lab.ChainedAliasName},{Lab.AliasName}",
        ]);
        return Lab.AwaitDaemon("dnsmasq", names.DnsmasqPidFile, names.DnsmasqLog, pid => LabProcesses.IsDnsmasqWith(pid, names.DnsmasqPidFile));
    }
}
