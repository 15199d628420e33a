using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using UserTcp.Testbed.Labs;

namespace UserTcp.Cli.Commands;

/// <summary>
/// <c>usertcp lab up|down|status|nstat</c>: the namespace lab (<see cref="Lab"/>) from the shell. Results go to stdout (one
/// JSON object with <c>--json</c>), progress and errors to stderr; any failure exits non-zero with the reason.
/// </summary>
internal static class LabCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name")
        {
            Description = "The lab's name: 1-8 lowercase letters/digits, prefixing every namespace, interface and table it owns.",
            DefaultValueFactory = _ => LabNames.DefaultName,
            Recursive = true,
        };
        return new Command("lab", "A network-namespace lab: kernel nginx on 198.18.0.1, a client veth (or a TAP bridged with it) for the stack to claim 198.18.0.2; " +
                                  "or (--topology routed) a LAN 198.18.1.0/24 behind a NAT router, nginx on 198.19.2.1.")
        {
            name, UpCommand(name), DownCommand(name), StatusCommand(name), NstatCommand(name),
        };
    }

    private static Command UpCommand(Option<string> name)
    {
        var offload = new Option<string>("--offload") { Description = "TSO/GSO/GRO and checksum offloads on both veth ends.", DefaultValueFactory = _ => "on" };
        offload.AcceptOnlyFromAmong("on", "off");
        var loss = new Option<decimal>("--loss") { Description = "Percent of server-to-client IPv4 packets dropped (0..100, steps of 0.01)." };
        var lossUp = new Option<decimal>("--loss-up") { Description = "Percent of client-to-server IPv4 packets dropped (0..100, steps of 0.01)." };
        var rate = new Option<string?>("--rate") { Description = "Server egress rate limit (tbf), e.g. 100mbit or 1gbit; none when omitted." };
        var files = new Option<string>("--files") { Description = "Comma-separated sizes nginx serves at /SIZE (K, M, G are binary).", DefaultValueFactory = _ => LabOptions.DefaultFiles };
        var stackLink = new Option<string>("--stack-link")
        {
            Description = "What the stack runs on in the client namespace: veth (pcap on the veth end) or tap (a persistent TAP bridged with it).",
            DefaultValueFactory = _ => "veth",
        };
        stackLink.AcceptOnlyFromAmong("veth", "tap");
        var topology = new Option<string>("--topology")
        {
            Description = "flat (client and server on one veth) or routed (the client on a LAN with its own kernel address; a router with " +
                          "DHCP, DNS and NAT; the server behind a link with MTU 1400).",
            DefaultValueFactory = _ => "flat",
        };
        topology.AcceptOnlyFromAmong("flat", "routed");
        var json = JsonOption();
        var command = new Command("up", "Create the lab, or bring an existing one in line with these options.") { offload, loss, lossUp, rate, files, stackLink, topology, json };
        command.SetAction(parse => Run("up", () =>
        {
            var options = new LabOptions
            {
                Name = parse.GetValue(name)!,
                Offload = parse.GetValue(offload) == "on",
                LossPercent = parse.GetValue(loss),
                LossUpPercent = parse.GetValue(lossUp),
                Rate = parse.GetValue(rate),
                Files = parse.GetValue(files)!,
                StackLink = parse.GetValue(stackLink) == "tap" ? LabStackLink.Tap : LabStackLink.Veth,
                Topology = parse.GetValue(topology) == "routed" ? LabTopology.Routed : LabTopology.Flat,
            };
            using var interrupted = new CancellationTokenSource();
            // Ctrl+C or a kill during a long file generation cancels; up then removes the half-made lab before exiting.
            void Interrupt(PosixSignalContext signal)
            {
                signal.Cancel = true;
                interrupted.Cancel();
            }
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
            var result = Lab.Up(options, line => Console.Error.WriteLine($"usertcp lab up: {line}"), interrupted.Token);
            if (parse.GetValue(json))
            {
                WriteJson(result.Lab);
                return 0;
            }
            string how = result.Outcome switch
            {
                LabUpOutcome.Created => "created",
                LabUpOutcome.Unchanged => "already up with these settings; nothing changed",
                LabUpOutcome.Reconfigured => "reconfigured: " + string.Join(", ", result.Changes),
                _ => "rebuilt; it was broken: " + string.Join(", ", result.Changes),
            };
            Console.WriteLine($"lab {result.Lab.Name} is up ({how})");
            Describe(result.Lab, Console.Out);
            return 0;
        }));
        return command;
    }

    private static Command DownCommand(Option<string> name)
    {
        var command = new Command("down", "Remove the lab: processes in its namespaces, the namespaces, its state directory. Exit 0 if there was none.");
        command.SetAction(parse => Run("down", () =>
        {
            string lab = parse.GetValue(name)!;
            Console.WriteLine(Lab.Down(lab) ? $"lab {lab} removed" : $"lab {lab} did not exist; nothing to remove");
            return 0;
        }));
        return command;
    }

    private static Command StatusCommand(Option<string> name)
    {
        var json = JsonOption();
        var command = new Command("status", "Describe the lab, checked against the system; exit 1 when it is not up or not whole.") { json };
        command.SetAction(parse => Run("status", () =>
        {
            var info = Lab.Status(parse.GetValue(name)!);
            if (parse.GetValue(json))
            {
                WriteJson(info);
            }
            else
            {
                Console.WriteLine($"lab {info.Name} is up");
                Describe(info, Console.Out);
            }
            return 0;
        }));
        return command;
    }

    private static Command NstatCommand(Option<string> name)
    {
        var json = JsonOption();
        var command = new Command("nstat", "The server namespace's kernel counters (nstat -asz), e.g. TcpOutRsts, TcpRetransSegs.") { json };
        command.SetAction(parse => Run("nstat", () =>
        {
            var counters = Lab.ServerCounters(parse.GetValue(name)!);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(counters, LabJsonContext.Default.DictionaryStringInt64));
            }
            else
            {
                int width = counters.Keys.Max(k => k.Length);
                foreach (var (counter, value) in counters) Console.WriteLine($"{counter.PadRight(width)}  {value}");
            }
            return 0;
        }));
        return command;
    }

    private static Option<bool> JsonOption() => new("--json") { Description = "Print exactly one JSON object on stdout." };

    /// <summary>Runs a subcommand; a lab failure becomes its message on stderr and exit 1, an interruption exit 130.</summary>
    private static int Run(string verb, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (LabException e)
        {
            Console.Error.WriteLine($"usertcp lab {verb}: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"usertcp lab {verb}: interrupted; the lab was removed (up leaves a whole lab or none)");
            return 130;
        }
    }

    private static void WriteJson(LabInfo info) => Console.WriteLine(JsonSerializer.Serialize(info, LabJsonContext.Default.LabInfo));

    private static void Describe(LabInfo info, TextWriter output)
    {
        if (info.RouterNetns is { } router)
        {
            output.WriteLine($"  topology routed: client LAN {info.ClientIface} <-> router {info.RouterLanIface} {info.Gateway}/{info.Prefix}; " +
                             $"router {info.RouterRemoteIface} {info.RouterRemoteIp} <-> server {info.ServerIface}, {info.RemoteNetwork} with MTU {info.RemoteMtu}");
            output.WriteLine($"  router  netns {router}  NAT (masquerade) to {info.RemoteNetwork}; dnsmasq DHCP {info.DhcpRangeStart}-{info.DhcpRangeEnd} " +
                             $"lease {info.DhcpLeaseSeconds} s (router and DNS {info.Gateway}), leases in {info.DhcpLeaseFile}");
        }
        output.WriteLine($"  server  netns {info.ServerNetns}  {info.ServerIface} {info.ServerMac}  {info.ServerIp}  nginx pid {info.NginxPid} at {info.BaseUrl}");
        output.WriteLine($"          {info.HttpsBaseUrl} (self-signed: trust {info.CaCert}), chunked under {Lab.ChunkedPrefix}");
        output.WriteLine($"  dns     dnsmasq pid {info.DnsmasqPid} at {info.DnsServer}: {string.Join(", ", info.HostNames)}; other *.{Lab.Domain} NXDOMAIN");
        output.WriteLine($"  upload  sink pid {info.UploadSinkPid} at {info.UploadUrl}: PUT/POST, answers the body's bytes and SHA-256 ({UploadSink.CountPath}: bytes only)");
        output.WriteLine(info.ClientKernelIp is { } kernel
            ? $"  client  netns {info.ClientNetns}  {info.ClientIface} {info.ClientMac}  kernel {kernel}/{info.Prefix} (default via {info.Gateway}); the stack claims {info.ClientIp}/{info.Prefix} or a lease"
            : $"  client  netns {info.ClientNetns}  {info.ClientIface} {info.ClientMac}  no kernel IPv4 address: the stack claims {info.ClientIp}/{info.Prefix}");
        if (info.TapIface is { } tap)
            output.WriteLine($"          the stack runs on TAP {tap} (persistent, bridged with {info.ClientIface} by {info.BridgeIface}; no offloads towards the stack)");
        output.WriteLine($"  link    offload {(info.Offload ? "on" : "off")}, loss {Lab.PercentText(info.LossPct)} down / {Lab.PercentText(info.LossUpPct)} up, rate {info.Rate ?? "unlimited"}");
        int width = info.Files.Values.Max(f => f.Url.Length);
        string heading = "  files ";
        foreach (var file in info.Files.Values)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{heading}  {file.Url.PadRight(width)}  {file.Bytes,13} bytes  sha256 {file.Sha256}"));
            heading = "        ";
        }
        output.WriteLine($"  state   {info.StateDir}");
    }
}
