using System.CommandLine;
using System.Globalization;
using UserTcp.Cli.Live;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Live;

namespace UserTcp.Cli.Commands;

/// <summary><c>usertcp ping ADDR [-c N]</c>: ICMP echo from the user-space stack (ARP first), printed like ping(8); exit 1 when nothing answers.</summary>
internal static class PingCommand
{
    public static Command Create()
    {
        var address = new Argument<string>("address") { Description = "IPv4 address to ping." };
        var count = new Option<int>("--count", "-c") { Description = "Echo requests to send.", DefaultValueFactory = _ => 4 };
        var interval = new Option<double>("--interval", "-i") { Description = "Seconds between requests.", DefaultValueFactory = _ => 1.0 };
        var wait = new Option<double>("--wait", "-W") { Description = "Seconds to wait for the last reply.", DefaultValueFactory = _ => 1.0 };
        var size = new Option<int>("--size", "-s") { Description = "Data bytes per request.", DefaultValueFactory = _ => 56 };
        count.Validators.Add(r => { if (r.GetValue(count) <= 0) r.AddError("--count must be positive"); });
        interval.Validators.Add(r => { if (r.GetValue(interval) is <= 0 or > 3600) r.AddError("--interval must be in (0, 3600] seconds"); });
        wait.Validators.Add(r => { if (r.GetValue(wait) is <= 0 or > 3600) r.AddError("--wait must be in (0, 3600] seconds"); });
        size.Validators.Add(r => { if (r.GetValue(size) is < 0 or > 1472) r.AddError("--size must be 0..1472 (no fragmentation)"); });
        address.Validators.Add(r => { if (!Ipv4Address.TryParse(r.GetValueOrDefault<string>() ?? "", out _)) r.AddError($"'{r.GetValueOrDefault<string>()}' is not an IPv4 address"); });
        var stack = new StackOptions();
        var command = new Command("ping", "Send ICMP echo requests from the user-space stack.") { address, count, interval, wait, size };
        stack.AddTo(command);
        command.SetAction(parse => StackCommand.Run("ping", stack, parse, live =>
            Run(live, Ipv4Address.Parse(parse.GetValue(address)!), parse.GetValue(count), TimeSpan.FromSeconds(parse.GetValue(interval)),
                TimeSpan.FromSeconds(parse.GetValue(wait)), parse.GetValue(size), Console.Out)));
        return command;
    }

    private sealed class Replies : IEchoReplyListener
    {
        public readonly Dictionary<ushort, (Instant At, int Length, byte Ttl)> BySequence = new();
        public ushort Identifier;
        public void OnEchoReply(Ipv4Address from, ushort identifier, ushort sequence, int dataLength, byte timeToLive, Instant at)
        {
            if (identifier == Identifier) BySequence.TryAdd(sequence, (at, dataLength, timeToLive));
        }
    }

    public static int Run(LiveStack live, Ipv4Address target, int count, TimeSpan interval, TimeSpan wait, int size, TextWriter output)
    {
        var replies = new Replies { Identifier = (ushort)Random.Shared.Next(1, 65536) };
        live.Interface.EchoReplies = replies;
        var data = new byte[size];
        var sentAt = new Instant[count + 1];
        output.WriteLine($"PING {target} ({target}) {size}({size + 28}) bytes of data.");
        var start = MonotonicClock.Now;
        var rtts = new List<double>();
        for (ushort seq = 1; seq <= count; seq++)
        {
            sentAt[seq] = MonotonicClock.Now;
            live.Interface.SendEchoRequest(target, replies.Identifier, seq, data, sentAt[seq]);
            ushort current = seq;
            var budget = seq == count ? wait : interval;
            live.RunUntil(() => replies.BySequence.ContainsKey(current), budget);
            foreach (var (s, reply) in replies.BySequence.Where(r => r.Key <= current).OrderBy(r => r.Key).ToList())
            {
                double ms = (reply.At - sentAt[s]).TotalMilliseconds;
                if (ms < 0) ms = 0;
                rtts.Add(ms);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{reply.Length + 8} bytes from {target}: icmp_seq={s} ttl={reply.Ttl} time={ms:0.###} ms"));
                replies.BySequence.Remove(s);
            }
            if (seq < count) live.RunUntil(() => false, sentAt[seq] + interval - MonotonicClock.Now); // keep answering ARP while waiting
        }
        var elapsed = MonotonicClock.Now - start;
        output.WriteLine($"--- {target} ping statistics ---");
        int received = rtts.Count;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{count} packets transmitted, {received} received, {100.0 * (count - received) / count:0.#}% packet loss, time {elapsed.TotalMilliseconds:0}ms"));
        if (received > 0)
        {
            double avg = rtts.Average();
            double mdev = Math.Sqrt(rtts.Average(r => (r - avg) * (r - avg)));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rtt min/avg/max/mdev = {rtts.Min():0.000}/{avg:0.000}/{rtts.Max():0.000}/{mdev:0.000} ms"));
        }
        return received > 0 ? 0 : 1;
    }
}
