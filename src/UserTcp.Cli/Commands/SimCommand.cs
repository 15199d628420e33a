using System.CommandLine;
using System.Globalization;
using System.Text;
using SharpPcap;
using SharpPcap.LibPcap;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Diagnostics;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Tcp.Congestion;
using UserTcp.Testbed.Simulation;

namespace UserTcp.Cli.Commands;

/// <summary>
/// <c>usertcp sim</c>: engine pairs over the simulated link, one row per seed and a summary; non-zero exit naming the
/// seed when a transfer is not byte-exact or does not close. <c>--profile random</c> draws each seed's faults and
/// settings from the property-test distribution, so any seed of those runs replays here exactly.
/// </summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var seeds = new Option<int>("--seeds") { Description = "How many seeded transfers to run.", DefaultValueFactory = _ => 10 };
        var firstSeed = new Option<ulong>("--first-seed") { Description = "Seed of the first transfer (then +1 each).", DefaultValueFactory = _ => 1 };
        var size = new Option<long>("--size") { Description = "Bytes to transfer per seed.", DefaultValueFactory = _ => 1 << 20 };
        var direction = new Option<string>("--direction") { Description = "down (server to client), up, or both.", DefaultValueFactory = _ => "down" };
        direction.AcceptOnlyFromAmong("down", "up", "both");
        var loss = Probability("--loss", "Random loss probability per frame, both directions (0..1).");
        var reorder = Probability("--reorder", "Probability a frame is held back and overtaken (0..1).");
        var dup = Probability("--dup", "Probability a frame is duplicated (0..1).");
        var corrupt = Probability("--corrupt", "Probability one bit of a frame flips (caught by checksums) (0..1).");
        var delay = new Option<double>("--delay") { Description = "One-way delay in milliseconds.", DefaultValueFactory = _ => 0.5 };
        var rate = new Option<double>("--rate") { Description = "Link rate in Mbit/s per direction (0 = unlimited).", DefaultValueFactory = _ => 0 };
        var ackPolicy = new Option<string>("--ack-policy") { Description = "cumulative or naive.", DefaultValueFactory = _ => "cumulative" };
        ackPolicy.AcceptOnlyFromAmong("cumulative", "naive");
        var cc = new Option<string>("--cc") { Description = "newreno or cubic.", DefaultValueFactory = _ => "cubic" };
        cc.AcceptOnlyFromAmong("newreno", "cubic");
        var profile = new Option<string>("--profile") { Description = "fixed (the flags above) or random (the property-test distribution per seed).", DefaultValueFactory = _ => "fixed" };
        profile.AcceptOnlyFromAmong("fixed", "random");
        var trace = new Option<bool>("--trace") { Description = "Print every frame sent on the link (virtual time, side, tcpdump-style line)." };
        var pcap = new Option<FileInfo?>("--pcap") { Description = "Write every frame sent on the link to this capture file (Wireshark opens it)." };
        foreach (var (option, name) in new[] { (delay, "--delay"), (rate, "--rate") })
            option.Validators.Add(r => { if (r.GetValue(option) < 0) r.AddError($"{name} cannot be negative."); });
        seeds.Validators.Add(r => { if (r.GetValue(seeds) <= 0) r.AddError("--seeds must be positive."); });
        size.Validators.Add(r => { if (r.GetValue(size) < 0) r.AddError("--size cannot be negative."); });

        var command = new Command("sim", "Run TCP engine pairs over the simulated link and check every transfer.")
        {
            seeds, firstSeed, size, direction, loss, reorder, dup, corrupt, delay, rate, ackPolicy, cc, profile, trace, pcap,
        };
        command.SetAction(parse =>
        {
            var link = LinkProfile.Perfect with
            {
                Loss = parse.GetValue(loss),
                Reorder = parse.GetValue(reorder),
                ReorderDelay = TimeSpan.FromMilliseconds(Math.Max(0.05, parse.GetValue(delay))),
                Duplicate = parse.GetValue(dup),
                Corrupt = parse.GetValue(corrupt),
                Delay = TimeSpan.FromMilliseconds(parse.GetValue(delay)),
                RateMbps = parse.GetValue(rate),
            };
            var config = new TcpConfig
            {
                AckPolicy = parse.GetValue(ackPolicy) == "naive" ? AckPolicy.Naive : AckPolicy.Cumulative,
                CongestionControl = parse.GetValue(cc) == "newreno" ? CongestionAlgorithm.NewReno : CongestionAlgorithm.Cubic,
            };
            long bytes = parse.GetValue(size);
            string dir = parse.GetValue(direction)!;
            var fixedScenario = new TransferScenario
            {
                BytesFromServer = dir is "down" or "both" ? bytes : 0,
                BytesFromClient = dir is "up" or "both" ? bytes : 0,
                ClientToServer = link,
                ServerToClient = link,
                ClientConfig = config,
                ServerConfig = config,
            };
            bool random = parse.GetValue(profile) == "random";
            return Run(parse.GetValue(seeds), parse.GetValue(firstSeed),
                       seed => random ? RandomScenarios.Create(seed) : fixedScenario with { Seed = seed },
                       parse.GetValue(trace), parse.GetValue(pcap), Console.Out);
        });
        return command;
    }

    private static Option<double> Probability(string name, string description)
    {
        var option = new Option<double>(name) { Description = description };
        option.Validators.Add(r =>
        {
            double p = r.GetValue(option);
            if (p is < 0 or > 1 || double.IsNaN(p)) r.AddError($"{name} is a probability between 0 and 1, not {p}.");
        });
        return option;
    }

    public static int Run(int seeds, ulong firstSeed, Func<ulong, TransferScenario> scenarioFor, bool trace, FileInfo? pcapFile, TextWriter output)
    {
        CaptureFileWriterDevice? pcap = null;
        if (pcapFile is not null)
        {
            try
            {
                pcap = new CaptureFileWriterDevice(pcapFile.FullName, FileMode.Create);
                pcap.Open(new DeviceConfiguration { LinkLayerType = PacketDotNet.LinkLayers.Ethernet });
            }
            catch (Exception e) when (e is PcapException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"usertcp sim: cannot write {pcapFile.FullName}: {e.Message}");
                return 1;
            }
        }
        using var _ = pcap;
        var line = new StringBuilder();
        FrameTap? tap = null;
        if (trace || pcap is not null)
        {
            tap = (from, frame, at) =>
            {
                if (pcap is not null)
                {
                    var header = new PcapHeader((uint)(at.Nanoseconds / 1_000_000_000), (uint)(at.Nanoseconds / 1000 % 1_000_000), (uint)frame.Length, (uint)frame.Length);
                    pcap.Write(frame, ref header);
                }
                if (trace)
                {
                    line.Clear().Append(at.TotalMilliseconds.ToString("0.000", CultureInfo.InvariantCulture)).Append("ms ")
                        .Append(from == LinkSide.A ? "client> " : "server> ");
                    FrameFormatter.Append(line, frame, frame.Length);
                    output.WriteLine(line);
                }
            };
        }

        output.WriteLine($"{"seed",6} {"bytes",12} {"virtual ms",11} {"Mbit/s",9} {"rtx",6} {"rto",4} {"fast-rtx",8} {"acks",7} {"segments",9}  result");
        var failed = new List<ulong>();
        double totalSeconds = 0;
        long totalBytes = 0, totalAcks = 0, totalRtx = 0;
        for (int i = 0; i < seeds; i++)
        {
            ulong seed = firstSeed + (ulong)i;
            var result = TransferSimulation.Run(scenarioFor(seed) with { Tap = tap });
            long bytes = result.BytesFromClient + result.BytesFromServer;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{seed,6} {bytes,12} {result.DataTime.TotalMilliseconds,11:0.0} {result.GoodputMbps,9:0.0} {result.Retransmissions,6} {result.RetransmissionTimeouts,4} {result.FastRetransmits,8} {result.AcksSent,7} {result.SegmentsSent,9}  {(result.Succeeded ? "ok" : "FAILED: " + result.Failure)}"));
            if (!result.Succeeded) failed.Add(seed);
            totalSeconds += result.DataTime.TotalSeconds;
            totalBytes += bytes;
            totalAcks += result.AcksSent;
            totalRtx += result.Retransmissions;
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"summary: {seeds - failed.Count}/{seeds} byte-exact and closed, {totalBytes} bytes, {totalSeconds:0.000} virtual s, {(totalSeconds > 0 ? totalBytes * 8 / totalSeconds / 1e6 : 0):0.0} Mbit/s, {totalRtx} retransmissions, {totalAcks} pure ACKs"));
        if (failed.Count > 0)
        {
            Console.Error.WriteLine($"usertcp sim: {failed.Count} transfer(s) failed; seeds: {string.Join(' ', failed.Take(50))}");
            return 1;
        }
        return 0;
    }
}
