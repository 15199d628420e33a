using System.CommandLine;
using UserTcp.Cli.Commands;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Live;

namespace UserTcp.Cli.Live;

/// <summary>
/// The options shared by <c>ping</c>, <c>connect</c>, <c>get</c> and <c>serve</c>: <c>--lab P</c> to run in that lab's client
/// namespace with its interface and addresses (<c>--ip</c> claims another address there), <c>--iface DEV [--ip ADDR[/PREFIX]]
/// [--gateway ADDR]</c> for any other network (without <c>--ip</c> the address comes from DHCP; <c>--ip host</c>: the
/// kernel's own address of DEV, shared; without <c>--gateway</c>, the kernel's default gateway of that interface), or
/// <c>--tap NAME --ip ADDR/PREFIX [--gateway ADDR]</c> for a TAP interface whose kernel side the user
/// configures; <c>--pcap FILE</c>, <c>--stats</c>, <c>--checksum</c>, <c>--ack-policy</c>, <c>--poll</c>, <c>--poll-budget</c>
/// (<c>--busy-poll</c> is <c>--poll busy</c>), <c>--send-batch</c>, <c>--qdisc-bypass</c>, <c>--gso</c>, <c>--tap-reads</c>.
/// </summary>
internal sealed class StackOptions
{
    public readonly Option<string?> Lab = new("--lab") { Description = "Run inside this lab's client namespace (see 'usertcp lab up')." };
    public readonly Option<string?> Interface = new("--iface") { Description = "Network interface to capture and send on; without --ip the stack gets its address, gateway and DNS servers by DHCP." };
    public readonly Option<string?> Tap = new("--tap") { Description = "Run on this TAP interface instead of pcap (with --ip): attached if a persistent one exists, created otherwise; its kernel side is yours to configure." };
    public readonly Option<string?> Ip = new("--ip") { Description = "Address/prefix the stack claims, e.g. 198.18.0.2/24 (not one the kernel holds; with --iface the prefix may be left to the kernel's on-link route); or 'host' to share the kernel's own address of --iface (ports reserved from the kernel, an nftables table keeps them from it; root); without it, --iface uses DHCP." };
    public readonly Option<string?> Gateway = new("--gateway") { Description = "Next hop for destinations off the subnet (default: the kernel's default gateway on the interface, if it is on the subnet; with DHCP, the lease's router)." };
    public readonly Option<FileInfo?> Pcap = new("--pcap") { Description = "Write every frame in and out to this capture file." };
    public readonly Option<bool> Stats = new("--stats") { Description = "Print the stack's counters at the end." };
    public readonly Option<string> Checksum = new("--checksum") { Description = "auto, verify, partial or off (TCP/UDP checksums of received frames).", DefaultValueFactory = _ => "auto" };
    public readonly Option<string> AckPolicy = new("--ack-policy") { Description = "cumulative or naive.", DefaultValueFactory = _ => "cumulative" };
    public readonly Option<string> Poll = new("--poll") { Description = "When idle: sleep in poll(2), adaptive (spin for a learned budget after traffic while a connection is open, then sleep) or busy (spin always).", DefaultValueFactory = _ => "sleep" };
    public readonly Option<int?> PollBudget = new("--poll-budget") { Description = "Longest adaptive spin after a frame, in microseconds (default 100)." };
    public readonly Option<bool> BusyPoll = new("--busy-poll") { Description = "The same as --poll busy." };
    public readonly Option<int?> SendBatch = new("--send-batch") { Description = "Most frames per sendmmsg(2) (default 64); 1 sends each frame with its own write(2)." };
    public readonly Option<bool> QdiscBypass = new("--qdisc-bypass") { Description = "Send past the interface's queueing discipline (PACKET_QDISC_BYPASS)." };
    public readonly Option<string> Gso = new("--gso") { Description = "on: TCP data leaves pcap in segments of up to 64 KiB that the kernel cuts at the MSS (generic segmentation offload); off: frames of at most the MTU. With --tap, on takes the kernel's offloads instead (IFF_VNET_HDR: TCP segments of up to 64 KiB arrive whole, frames sent are MTU frames); off: MTU frames both ways.", DefaultValueFactory = _ => "on" };
    public readonly Option<string> TapReads = new("--tap-reads") { Description = "How frames come off a TAP: batched (up to 16 reads for one io_uring_enter(2) system call; one read(2) each where the kernel has no io_uring) or single (one read(2) per frame).", DefaultValueFactory = _ => "batched" };
    public readonly Option<string> Capture = new("--capture") { Description = "How pcap takes frames from the kernel: socket (a packet socket read with recvmmsg(2): one RCU grace period to open and close it), ring (libpcap's TPACKET ring: no system call while frames wait, the kernel makes the copy off the poll thread, but three grace periods), or auto: the socket, then the ring set up beside it once 4 MiB have come. Default: auto (serve: ring, a server lives long).", DefaultValueFactory = _ => "auto" };
    public readonly Option<string?> CaptureBuffer = new("--capture-buffer") { Description = "The kernel's capture buffer for pcap, e.g. 32M: the socket's receive buffer (SO_RCVBUF), or with --capture ring the ring (pcap_set_buffer_size); frames beyond it are dropped and counted. Default: four receive windows for the socket, one and a half windows of frames for the ring (serve: 32M)." };

    /// <summary>The <c>--ip</c> value for host-address mode (<see cref="StackSetup.SharesHostAddress"/>).</summary>
    public const string HostAddress = "host";

    private const long MinCaptureBuffer = 1 << 20, MaxCaptureBuffer = 1L << 30; // PcapDeviceOptions.KernelBufferBytes takes 1 MiB at least

    public StackOptions()
    {
        Checksum.AcceptOnlyFromAmong("auto", "verify", "partial", "off");
        AckPolicy.AcceptOnlyFromAmong("cumulative", "naive");
        Poll.AcceptOnlyFromAmong("sleep", "adaptive", "busy");
        Gso.AcceptOnlyFromAmong("on", "off");
        Capture.AcceptOnlyFromAmong("auto", "socket", "ring");
        TapReads.AcceptOnlyFromAmong("batched", "single");
    }

    /// <param name="unlessGiven">An option of the command that runs it without the stack: when given, no place is asked for.</param>
    public void AddTo(Command command, Option? unlessGiven = null)
    {
        foreach (var option in new Option[] { Lab, Interface, Tap, Ip, Gateway, Pcap, Stats, Checksum, AckPolicy, Poll, PollBudget, BusyPoll, SendBatch, QdiscBypass, Gso, TapReads, Capture, CaptureBuffer }) command.Options.Add(option);
        command.Validators.Add(result =>
        {
            if (unlessGiven is not null && result.GetResult(unlessGiven) is not null) return;
            bool lab = result.GetValue(Lab) is not null;
            bool tap = result.GetValue(Tap) is not null;
            if (tap && result.GetValue(Interface) is not null) result.AddError("use either --tap or --iface, not both (--tap runs on a TAP device, --iface captures with pcap)");
            else if (lab && (result.GetValue(Interface) is not null || tap)) result.AddError("use either --lab or --iface/--tap, not both (with --lab, --ip claims another address in the lab)");
            else if (!lab && ((result.GetValue(Interface) is null && !tap) || (tap && result.GetValue(Ip) is null)))
                result.AddError("say where to run: --lab NAME, --iface DEV [--ip ADDR[/PREFIX] | --ip host] (DHCP without --ip), or --tap NAME --ip ADDR/PREFIX");
            if (!lab && !tap && result.GetValue(Ip) is null && result.GetValue(Gateway) is not null)
                result.AddError("--gateway needs --ip: with DHCP the lease names the router");
            if (result.GetValue(Ip) is { } ip)
            {
                if (ip == HostAddress)
                {
                    if (tap || result.GetValue(Interface) is null)
                        result.AddError("--ip host shares the kernel's address of an --iface interface (not with --tap or --lab)");
                }
                else if (!TryParseAddress(ip, out _, out int? given))
                    result.AddError($"--ip {ip}: expected ADDRESS/PREFIX, e.g. 198.18.0.2/24 (or ADDRESS alone with --iface: the prefix of the kernel's on-link route), or 'host'");
                else if (tap && given is null) result.AddError("--tap needs --ip ADDRESS/PREFIX: its network is yours, not a route of the kernel");
            }
            if (result.GetValue(PollBudget) is < 0 or > 1_000_000) result.AddError("--poll-budget: microseconds from 0 to 1000000");
            if (result.GetValue(SendBatch) is < 1 or > PcapDeviceOptions.DefaultSendQueueCapacity)
                result.AddError($"--send-batch: frames from 1 to {PcapDeviceOptions.DefaultSendQueueCapacity}");
            if (result.GetValue(Gateway) is { } gw && !Ipv4Address.TryParse(gw, out _)) result.AddError($"--gateway {gw}: not an IPv4 address");
            if (result.GetValue(CaptureBuffer) is { } ring && ByteCount.Parse(ring) is not (>= MinCaptureBuffer and <= MaxCaptureBuffer))
                result.AddError($"--capture-buffer {ring}: a size from 1M to 1G, such as 32M");
            if (tap && result.GetValue(CaptureBuffer) is not null) result.AddError("--capture-buffer sizes pcap's buffer; a TAP device has none");
            if (!tap && !lab && result.GetResult(TapReads) is { Implicit: false }) result.AddError("--tap-reads chooses how a TAP is read; pcap has --capture");
            if (tap && result.GetResult(Capture) is { Implicit: false }) result.AddError("--capture chooses pcap's receive path; a TAP device has its own");
        });
    }

    /// <summary>The setup; for --lab, the lab's client interface and addresses (the lab must be up).</summary>
    public StackSetup Read(ParseResult parse)
    {
        var checksums = parse.GetValue(Checksum) switch
        {
            "verify" => ChecksumPolicy.Verify,
            "partial" => ChecksumPolicy.AcceptPartial,
            "off" => ChecksumPolicy.Off,
            _ => ChecksumPolicy.Auto,
        };
        var ack = parse.GetValue(AckPolicy) == "naive" ? Fast.Tcp.AckPolicy.Naive : Fast.Tcp.AckPolicy.Cumulative;
        var poll = parse.GetValue(BusyPoll) ? PollMode.Busy : parse.GetValue(Poll) switch
        {
            "adaptive" => PollMode.Adaptive,
            "busy" => PollMode.Busy,
            _ => PollMode.Sleep,
        };
        TimeSpan? budget = parse.GetValue(PollBudget) is { } microseconds ? TimeSpan.FromMicroseconds(microseconds) : null;
        var setup = Where(parse, checksums, ack, poll, budget);
        return setup with
        {
            SendBatchFrames = parse.GetValue(SendBatch) ?? PcapDeviceOptions.DefaultSendBatchFrames,
            QdiscBypass = parse.GetValue(QdiscBypass),
            SegmentationOffload = parse.GetValue(Gso) != "off",
            TapBatchedReads = parse.GetValue(TapReads) != "single",
            CaptureBufferBytes = parse.GetValue(CaptureBuffer) is { } ring ? (int)ByteCount.Parse(ring)!.Value : null,
            // Given or not: a command (serve) has its own default.
            ReceivePath = parse.GetResult(Capture) is { Implicit: false } ? parse.GetValue(Capture) switch
            {
                "ring" => PcapReceivePath.Ring,
                "socket" => PcapReceivePath.Socket,
                _ => PcapReceivePath.Auto,
            } : null,
        };
    }

    private StackSetup Where(ParseResult parse, ChecksumPolicy checksums, Fast.Tcp.AckPolicy ack, PollMode poll, TimeSpan? budget)
    {
        Ipv4Address? gateway = parse.GetValue(Gateway) is { } g ? Ipv4Address.Parse(g) : null;
        if (parse.GetValue(Lab) is { } lab)
        {
            var inLab = StackSetup.ForLab(lab, parse.GetValue(Pcap), parse.GetValue(Stats), checksums, ack, poll, budget);
            if (gateway is not null) inLab = inLab with { Gateway = gateway };
            return parse.GetValue(Ip) is { } claimed && TryParseAddress(claimed, out var other, out int? otherPrefix)
                ? inLab with { Address = other, PrefixLength = otherPrefix ?? inLab.PrefixLength }
                : inLab;
        }
        // --ip host: the address, prefix and ports come from the kernel when the command runs (StackCommand.RunWithSetup);
        // no --ip: from DHCP once the stack runs.
        bool host = parse.GetValue(Ip) == HostAddress;
        bool dhcp = parse.GetValue(Ip) is null;
        var address = Ipv4Address.Any;
        int prefix = 0;
        if (!dhcp && !host)
        {
            TryParseAddress(parse.GetValue(Ip)!, out address, out int? given);
            prefix = given ?? OnLinkPrefix(parse.GetValue(Interface)!, address);
        }
        return new StackSetup(null, parse.GetValue(Interface), address, prefix, gateway,
            parse.GetValue(Pcap), parse.GetValue(Stats), checksums, ack, poll) { PollBudget = budget, TapName = parse.GetValue(Tap), SharesHostAddress = host, Dhcp = dhcp };
    }

    /// <summary>The prefix of the kernel's on-link route on <paramref name="interfaceName"/> that holds <paramref name="address"/>, as a host's address gets it.</summary>
    private static int OnLinkPrefix(string interfaceName, Ipv4Address address) =>
        KernelRoutes.OnLinkPrefix(KernelRoutes.Read(), interfaceName, address)
        ?? throw new ArgumentException($"--ip {address}: no prefix given, and no on-link route of the kernel on {interfaceName} holds it; give ADDRESS/PREFIX");

    /// <summary>ADDRESS/PREFIX, or ADDRESS alone (<paramref name="prefix"/> null: the kernel's on-link route decides).</summary>
    public static bool TryParseAddress(string text, out Ipv4Address address, out int? prefix)
    {
        prefix = null;
        if (!text.Contains('/')) return Ipv4Address.TryParse(text, out address);
        bool parsed = TryParseCidr(text, out address, out int given);
        prefix = given;
        return parsed;
    }

    public static bool TryParseCidr(string text, out Ipv4Address address, out int prefix)
    {
        address = default;
        prefix = 0;
        int slash = text.IndexOf('/');
        if (slash < 0) return false;
        return Ipv4Address.TryParse(text.AsSpan(0, slash), out address)
               && int.TryParse(text.AsSpan(slash + 1), out prefix) && prefix is >= 1 and <= 32;
    }
}
