using System.CommandLine;
using UserTcp.Cli.Commands;
using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Live;

namespace UserTcp.Cli.Live;

/// <summary>
/// The options shared by <c>ping</c>, <c>connect</c>, <c>get</c> and <c>serve</c>: <c>--lab P</c> to run in that lab's client
/// namespace with its interface and addresses, <c>--iface DEV --ip ADDR/PREFIX [--gateway ADDR]</c> for any other
/// network, or <c>--tap NAME --ip ADDR/PREFIX [--gateway ADDR]</c> for a TAP interface whose kernel side the user
/// configures; <c>--pcap FILE</c>, <c>--stats</c>, <c>--checksum</c>, <c>--ack-policy</c>, <c>--poll</c>, <c>--poll-budget</c>
/// (<c>--busy-poll</c> is <c>--poll busy</c>), <c>--send-batch</c>, <c>--qdisc-bypass</c>, <c>--gso</c>.
/// </summary>
internal sealed class StackOptions
{
    public readonly Option<string?> Lab = new("--lab") { Description = "Run inside this lab's client namespace (see 'usertcp lab up')." };
    public readonly Option<string?> Interface = new("--iface") { Description = "Network interface to capture and send on (with --ip)." };
    public readonly Option<string?> Tap = new("--tap") { Description = "Run on this TAP interface instead of pcap (with --ip): attached if a persistent one exists, created otherwise; its kernel side is yours to configure." };
    public readonly Option<string?> Ip = new("--ip") { Description = "Address/prefix the stack claims, e.g. 198.18.0.2/24 (not one the kernel holds)." };
    public readonly Option<string?> Gateway = new("--gateway") { Description = "Next hop for destinations off the subnet." };
    public readonly Option<FileInfo?> Pcap = new("--pcap") { Description = "Write every frame in and out to this capture file." };
    public readonly Option<bool> Stats = new("--stats") { Description = "Print the stack's counters at the end." };
    public readonly Option<string> Checksum = new("--checksum") { Description = "auto, verify, partial or off (TCP/UDP checksums of received frames).", DefaultValueFactory = _ => "auto" };
    public readonly Option<string> AckPolicy = new("--ack-policy") { Description = "cumulative or naive.", DefaultValueFactory = _ => "cumulative" };
    public readonly Option<string> Poll = new("--poll") { Description = "When idle: sleep in poll(2), adaptive (spin for a learned budget after traffic while a connection is open, then sleep) or busy (spin always).", DefaultValueFactory = _ => "sleep" };
    public readonly Option<int?> PollBudget = new("--poll-budget") { Description = "Longest adaptive spin after a frame, in microseconds (default 100)." };
    public readonly Option<bool> BusyPoll = new("--busy-poll") { Description = "The same as --poll busy." };
    public readonly Option<int?> SendBatch = new("--send-batch") { Description = "Most frames per sendmmsg(2) (default 64); 1 sends each frame with its own write(2)." };
    public readonly Option<bool> QdiscBypass = new("--qdisc-bypass") { Description = "Send past the interface's queueing discipline (PACKET_QDISC_BYPASS)." };
    public readonly Option<string> Gso = new("--gso") { Description = "on: TCP data leaves pcap in segments of up to 64 KiB that the kernel cuts at the MSS (generic segmentation offload); off: frames of at most the MTU. TAP devices send MTU frames.", DefaultValueFactory = _ => "on" };
    public readonly Option<string?> CaptureBuffer = new("--capture-buffer") { Description = "The kernel's capture ring for pcap (pcap_set_buffer_size), e.g. 32M; frames beyond it are dropped and counted. Default: room for one receive window (serve: 32M)." };

    private const long MinCaptureBuffer = 64 << 10, MaxCaptureBuffer = 1L << 30;

    public StackOptions()
    {
        Checksum.AcceptOnlyFromAmong("auto", "verify", "partial", "off");
        AckPolicy.AcceptOnlyFromAmong("cumulative", "naive");
        Poll.AcceptOnlyFromAmong("sleep", "adaptive", "busy");
        Gso.AcceptOnlyFromAmong("on", "off");
    }

    /// <param name="unlessGiven">An option of the command that runs it without the stack: when given, no place is asked for.</param>
    public void AddTo(Command command, Option? unlessGiven = null)
    {
        foreach (var option in new Option[] { Lab, Interface, Tap, Ip, Gateway, Pcap, Stats, Checksum, AckPolicy, Poll, PollBudget, BusyPoll, SendBatch, QdiscBypass, Gso, CaptureBuffer }) command.Options.Add(option);
        command.Validators.Add(result =>
        {
            if (unlessGiven is not null && result.GetResult(unlessGiven) is not null) return;
            bool lab = result.GetValue(Lab) is not null;
            bool tap = result.GetValue(Tap) is not null;
            bool iface = result.GetValue(Interface) is not null || result.GetValue(Ip) is not null;
            if (tap && result.GetValue(Interface) is not null) result.AddError("use either --tap or --iface, not both (--tap runs on a TAP device, --iface captures with pcap)");
            else if (lab && (iface || tap)) result.AddError("use either --lab or --iface/--tap with --ip, not both");
            else if (!lab && ((result.GetValue(Interface) is null && !tap) || result.GetValue(Ip) is null))
                result.AddError("say where to run: --lab NAME, --iface DEV --ip ADDR/PREFIX, or --tap NAME --ip ADDR/PREFIX");
            if (result.GetValue(Ip) is { } ip && !TryParseCidr(ip, out _, out _)) result.AddError($"--ip {ip}: expected ADDRESS/PREFIX, e.g. 198.18.0.2/24");
            if (result.GetValue(PollBudget) is < 0 or > 1_000_000) result.AddError("--poll-budget: microseconds from 0 to 1000000");
            if (result.GetValue(SendBatch) is < 1 or > PcapDeviceOptions.DefaultSendQueueCapacity)
                result.AddError($"--send-batch: frames from 1 to {PcapDeviceOptions.DefaultSendQueueCapacity}");
            if (result.GetValue(Gateway) is { } gw && !Ipv4Address.TryParse(gw, out _)) result.AddError($"--gateway {gw}: not an IPv4 address");
            if (result.GetValue(CaptureBuffer) is { } ring && ByteCount.Parse(ring) is not (>= MinCaptureBuffer and <= MaxCaptureBuffer))
                result.AddError($"--capture-buffer {ring}: a size from 64K to 1G, such as 32M");
            if (tap && result.GetValue(CaptureBuffer) is not null) result.AddError("--capture-buffer sizes pcap's ring; a TAP device has none");
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
            CaptureBufferBytes = parse.GetValue(CaptureBuffer) is { } ring ? (int)ByteCount.Parse(ring)!.Value : null,
        };
    }

    private StackSetup Where(ParseResult parse, ChecksumPolicy checksums, Fast.Tcp.AckPolicy ack, PollMode poll, TimeSpan? budget)
    {
        if (parse.GetValue(Lab) is { } lab)
            return StackSetup.ForLab(lab, parse.GetValue(Pcap), parse.GetValue(Stats), checksums, ack, poll, budget);
        TryParseCidr(parse.GetValue(Ip)!, out var address, out int prefix);
        Ipv4Address? gateway = parse.GetValue(Gateway) is { } g ? Ipv4Address.Parse(g) : null;
        return new StackSetup(null, parse.GetValue(Interface), address, prefix, gateway,
            parse.GetValue(Pcap), parse.GetValue(Stats), checksums, ack, poll) { PollBudget = budget, TapName = parse.GetValue(Tap) };
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
