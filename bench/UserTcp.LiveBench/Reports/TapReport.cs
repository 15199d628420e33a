using System.Globalization;
using UserTcp.Fast.Tcp;
using UserTcp.LiveBench.Measurement;
using UserTcp.LiveBench.Orchestration;
using UserTcp.LiveBench.Results;

namespace UserTcp.LiveBench.Reports;

/// <summary>
/// Writes perf-results/tap.md and perf-results/data/tap.csv from the TAP comparison's rounds: a summary with the issue's
/// target (the stack at least twice lwIP's throughput in the same run), a table per offload setting, the figures that
/// say where the time goes, and the method with what each client did with the bytes and its MSS and window.
/// </summary>
internal static class TapReport
{
    /// <summary>Target of issue 11: on TAP, the stack's throughput at least this multiple of lwIP's in the same run.</summary>
    private const double LwipTarget = 2.0;

    public static void Write(string path, string csvPath, TapPlan plan, IReadOnlyList<TapRun> runs, TapOrchestrator details,
                             MachineInfo machine, string commit, DateTimeOffset startedAt, TimeSpan elapsed)
    {
        WriteCsv(csvPath, runs);
        var text = new MarkdownText();
        text.Line($"# The stack, lwIP and the kernel on one TAP lab");
        text.Line();
        ReportSections.Regenerated(text, Command(plan), commit, startedAt, elapsed);
        text.Line();
        text.Line($"Each of {plan.Rounds} rounds per offload setting downloads the lab's {plan.Size} file once with each client, in an order rotated from round");
        text.Line($"to round, **every body into /dev/null**: the user-space stack on the lab's TAP (`usertcp get --lab`), lwIP 2.1 on the same TAP");
        text.Line($"(`bench/peers/lwip-get`), and the kernel (curl) from an address on the bridge that joins the TAP and the veth, so all three");
        text.Line($"cross the same bridge and veth to the same nginx. Figures are medians with the range (min–max) in brackets; ratios are taken");
        text.Line($"round by round, then summarised. **Timings are noisy**: a shared {machine.Cores}-core VM (load average {machine.LoadAverageBefore} before,");
        text.Line($"{machine.LoadAverageAfter} after) on which nginx, the bridge, the veth and the client share the cores. Every client reported");
        text.Line($"exactly the file's byte count (lwip-get counts against Content-Length; the live tests check the stack's bytes on a TAP lab by SHA-256).");
        text.Line();
        WriteSummary(text, plan, runs);
        ReportSections.Machine(text, machine);
        foreach (bool offload in plan.Offloads) WriteOffload(text, runs.Where(r => r.Offload == offload).ToList(), offload);
        WriteWhereTimeGoes(text, plan, runs, machine);
        WriteMethod(text, plan, details);
        ReportSections.Reproduce(text, Command(plan) + "   # root; its own lab, always removed; rewrites this file and data/tap.csv");
        ReportFile.Write(path, text.ToString());
    }

    public static string Command(TapPlan plan) =>
        "bench/run-tap.sh" + (plan.IsQuick ? " --quick" : "") + (plan.Rounds != (plan.IsQuick ? TapPlan.QuickRounds : TapPlan.FullRounds) ? $" --runs {plan.Rounds}" : "");

    private static void WriteSummary(MarkdownText text, TapPlan plan, IReadOnlyList<TapRun> runs)
    {
        text.Line($"## Summary");
        text.Line();
        foreach (bool offload in plan.Offloads)
        {
            var set = runs.Where(r => r.Offload == offload).ToList();
            var lwip = Ratios(set, TapClient.Lwip);
            string verdict = lwip.Median >= LwipTarget ? "met" : $"missed ({lwip.Median / LwipTarget:0.00} of it)";
            text.Line(string.Create(CultureInfo.InvariantCulture,
                $"- **offloads {ReportSections.OnOff(offload)}, {plan.Size}**: stack {Gbps(set, TapClient.Stack)} Gbit/s, lwIP {Gbps(set, TapClient.Lwip)}, kernel {Gbps(set, TapClient.Kernel)}; " +
                $"stack/lwIP {lwip.Format("0.00")}× (target ≥ {LwipTarget:0}×: {verdict}), stack/kernel {Ratios(set, TapClient.Kernel).Format("0.00")}×"));
        }
        text.Line();
    }

    private static void WriteOffload(MarkdownText text, List<TapRun> runs, bool offload)
    {
        text.Line($"## Offloads {ReportSections.OnOff(offload)} (on the veths; the TAP has none towards its reader)");
        text.Line();
        text.Line($"| client | Gbit/s | transfer s | whole process s | CPU s (user + system) | peak RSS MiB | server segments in | server retransmissions | resets |");
        text.Line($"|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var client in new[] { TapClient.Stack, TapClient.Lwip, TapClient.Kernel })
        {
            var mine = runs.Where(r => r.Client == client).ToList();
            text.Line($"| {Label(client)} | {Spread.Of(mine.Select(r => r.Gbps)).Format("0.00")} | {Spread.Of(mine.Select(r => r.TransferSeconds)).Format("0.000")} | " +
                      $"{Spread.Of(mine.Select(r => r.WallSeconds)).Format("0.000")} | {Spread.Of(mine.Select(r => r.CpuSeconds)).Format("0.00")} | " +
                      $"{Spread.Of(mine.Select(r => r.MaxResidentKib / 1024.0)).Format("0")} | {Spread.Of(mine.Select(r => (double)r.ServerInSegments)).Format("0")} | " +
                      $"{Spread.Of(mine.Select(r => (double)r.ServerRetransmissions)).Format("0")} | {mine.Sum(r => r.ServerResets)} |");
        }
        text.Line();
    }

    /// <summary>Figures of the same runs that say where each client's time goes: CPU split into user and system, frames, ACKs.</summary>
    private static void WriteWhereTimeGoes(MarkdownText text, TapPlan plan, IReadOnlyList<TapRun> runs, MachineInfo machine)
    {
        text.Line($"## Where the time goes");
        text.Line();
        text.Line($"| offloads | client | CPU s per transfer s | user CPU s | system CPU s | server segments in per MiB | stack: device receive calls | stack: ACKs sent | stack: poll thread CPU s |");
        text.Line($"|---|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (bool offload in plan.Offloads)
        {
            foreach (var client in new[] { TapClient.Stack, TapClient.Lwip, TapClient.Kernel })
            {
                var mine = runs.Where(r => r.Offload == offload && r.Client == client).ToList();
                var stack = mine.Select(r => r.Stack).OfType<StackFigures>().ToList();
                string Figure(Func<StackFigures, double> figure, string format) => stack.Count == 0 ? "" : Spread.Of(stack.Select(figure)).Format(format);
                text.Line($"| {ReportSections.OnOff(offload)} | {Label(client)} | {Spread.Of(mine.Select(r => r.CpuSeconds / r.TransferSeconds)).Format("0.00")} | " +
                          $"{Spread.Of(mine.Select(r => r.UserSeconds)).Format("0.00")} | {Spread.Of(mine.Select(r => r.SystemSeconds)).Format("0.00")} | " +
                          $"{Spread.Of(mine.Select(r => r.ServerInSegments / (r.Bytes / TransferRun.MiB))).Format("0.0")} | " +
                          $"{Figure(s => s.DeviceReceiveCalls, "0")} | {Figure(s => s.AcksSent, "0")} | {Figure(s => s.PollCpuSeconds, "0.00")} |");
            }
        }
        text.Line();
        text.Line($"How to read it. CPU seconds per transfer second near 1 or above mean a client kept a core busy (whole processes: the");
        text.Line($"stack's start-up, runtime and application thread, lwIP's tcpip timer thread included), on a machine of {machine.Cores} cores that nginx and");
        text.Line($"the kernel's forwarding share. A TAP hands over one frame per read: lwIP pays a read(2) per frame, the stack one");
        text.Line($"io_uring_enter(2) per batch of up to 16 reads (its device receive calls above). Every ACK a TAP reader writes");
        text.Line($"has the kernel carry it through the bridge and the veth to nginx's TCP, which sends the next segments back towards the");
        text.Line($"TAP, largely in the write(2)'s own context (the softirq run as it returns): system time of the client. The server's segments in are mostly the client's");
        text.Line($"ACKs: about 350 per MiB is an ACK every second segment (lwIP, always), about 45 the stack's cumulative ACKs of up to");
        text.Line($"16 segments. lwIP also waits on its 64 KiB window: it cannot have more than 44 segments in flight. The kernel client");
        text.Line($"pays neither per frame: it reads many segments per recv(2), and with offloads on it gets 64 KiB GSO frames end to end.");
        text.Line($"So does the stack on its TAP (IFF_VNET_HDR with TUNSETOFFLOAD: the kernel hands it the server's segments of up to");
        text.Line($"64 KiB whole, checksums partial: its device receive calls per GiB above), while lwIP gets 1514-byte frames, the kernel");
        text.Line($"cutting each segment for a TAP without a virtio-net header. With offloads off the server sends no such segments and");
        text.Line($"both TAP clients read frames of at most 1514 bytes: the stack's poll thread is then busy for most of its transfer (poll");
        text.Line($"thread CPU against transfer time), paying per frame the kernel's copy, the engine's work and its share of the kernel's");
        text.Line($"server-side work run in its writes; batching the reads took the system call out of the per-frame cost (on the VM of");
        text.Line($"2026-12-08, `--tap-reads single` against batched: 3.1-3.4 s against 1.5-1.6 s per GiB, CPU halved).");
        text.Line();
    }

    private static void WriteMethod(MarkdownText text, TapPlan plan, TapOrchestrator details)
    {
        var stackTcp = new TcpConfig();
        text.Line($"## Method");
        text.Line();
        text.Line($"- **The lab**: `usertcp lab up --stack-link tap`: nginx in the server namespace, and in the client namespace a persistent TAP and");
        text.Line($"  the client's veth end joined by a bridge, none of them with an address of the kernel's; MTU 1500 everywhere. The stack");
        text.Line($"  opens the TAP with IFF_VNET_HDR and gives it checksum and TCP segmentation offload (TUNSETOFFLOAD, given back when it");
        text.Line($"  closes), so the server's segments reach it as the server sent them; lwIP opens it without, and the kernel segments and");
        text.Line($"  checksums every frame it hands lwIP (at most 1514 bytes). The veths' offloads decide what the server sends.");
        text.Line($"- **Stack** (`usertcp get URL -o /dev/null --lab P --stats`, a fresh process per download, started by `dotnet`): attaches to");
        text.Line($"  the TAP (reads batched by io_uring, one frame or segment each; one writev(2) per frame sent), claims 198.18.0.2 with its own MAC; get reads the body and writes");
        text.Line($"  it to /dev/null. TCP: MSS {stackTcp.MaxSegmentSize}, receive buffer {stackTcp.ReceiveBufferSize / (1 << 20)} MiB with window scaling, SACK, timestamps, cumulative ACKs");
        text.Line($"  (at most {stackTcp.MaxSegmentsPerAck} segments per ACK). Transfer time: its summary line, from connect to the last byte.");
        text.Line($"- **lwIP** (`bench/peers/lwip-get TAP {TapOrchestrator.LwipAddress}/24 SERVER /{plan.Size}`, C, Debian's liblwip 2.1.3 with its own netif");
        text.Line($"  driver, not Debian's tapif): reads each frame into a pbuf of MTU + 18 bytes under lwIP's core lock and feeds ethernet_input;");
        text.Line($"  the receive callback counts the body and frees the pbufs (nothing is written anywhere). TCP: {(details.LwipTcp.Length > 0 ? details.LwipTcp : "(no lwIP run)")}");
        text.Line($"  (Debian's lwipopts.h fixes TCP_WND at 0xFFFF when it builds the library: the window cannot be raised without rebuilding it),");
        text.Line($"  no SACK, no timestamps, an ACK every second segment. The rest of that build: NO_SYS 0 with core locking (a tcpip thread");
        text.Line($"  runs the timers), pbufs and pools from malloc (MEM_LIBC_MALLOC, MEMP_MEM_MALLOC), TCP_SND_BUF = TCP_WND,");
        text.Line($"  LWIP_CHECKSUM_ON_COPY, statistics off. Transfer time: from tcp_connect to the last body byte.");
        text.Line($"- **Kernel** (`curl -o /dev/null`, from 198.18.0.3 on the bridge for its runs only): MSS 1460, Linux's receive-buffer");
        text.Line($"  auto-tuning within tcp_rmem {details.KernelRmem}. Transfer time: curl's time_total.");
        text.Line($"- Whole-process time, CPU (user + system) and peak RSS come from wait4 through GNU time (`UserTcp.LiveBench rusage`);");
        text.Line($"  the server's counters (`nstat` in its namespace) are read before and after every download. Raw rows: data/tap.csv.");
        text.Line();
    }

    private static void WriteCsv(string path, IReadOnlyList<TapRun> runs)
    {
        var lines = new List<string>
        {
            "client,offload,size,bytes,round,order,transfer_seconds,wall_seconds,user_seconds,system_seconds,max_rss_kib,server_in_segs," +
            "server_retrans_segs,server_resets,frames_received,acks_sent,device_receive_calls,poll_cpu_seconds",
        };
        foreach (var r in runs)
        {
            string stack = r.Stack is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s.FramesReceived},{s.AcksSent},{s.DeviceReceiveCalls},{s.PollCpuSeconds:R}") : ",,,";
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{TapRun.Name(r.Client)},{ReportSections.OnOff(r.Offload)},{r.Size},{r.Bytes},{r.Round},{r.Order},{r.TransferSeconds:R},{r.WallSeconds:R}," +
                $"{r.UserSeconds:R},{r.SystemSeconds:R},{r.MaxResidentKib},{r.ServerInSegments},{r.ServerRetransmissions},{r.ServerResets},{stack}"));
        }
        ReportFile.Write(path, string.Join('\n', lines) + "\n");
    }

    /// <summary>The stack's throughput over <paramref name="other"/>'s, round by round (the same round's transfer times).</summary>
    private static Spread Ratios(List<TapRun> runs, TapClient other) =>
        Spread.Of(runs.Where(r => r.Client == TapClient.Stack)
                      .Join(runs.Where(r => r.Client == other), r => r.Round, r => r.Round, (stack, peer) => peer.TransferSeconds / stack.TransferSeconds));

    private static string Gbps(List<TapRun> runs, TapClient client) => Spread.Of(runs.Where(r => r.Client == client).Select(r => r.Gbps)).Format("0.00");

    private static string Label(TapClient client) => client switch
    {
        TapClient.Stack => "stack (usertcp get, TAP)",
        TapClient.Lwip => "lwIP 2.1 (lwip-get, TAP)",
        _ => "kernel (curl, bridge)",
    };
}
