using System.Globalization;
using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.LiveBench.Orchestration;

/// <summary>
/// The serve benchmark's kernel clients, each run in the lab's SERVER namespace and aimed only at the lab's addresses:
/// wrk (load and accept rate), curl (the bulk file into /dev/null), hping3 (the SYN flood, from a lab address nobody
/// answers for) and a python3 loop of legitimate requests during the flood.
/// </summary>
internal static partial class ServeClients
{
    /// <summary>The flood's source: a lab address the server namespace holds (so the stack's ARP for it is answered)
    /// whose incoming packets an nftables rule drops, so the stack's SYN-ACKs go unanswered as a spoofed flood's do.</summary>
    public const string FloodSource = "198.18.0.9";
    private const string FloodTable = "servebench_flood";

    /// <summary>
    /// The legitimate client during the flood: every 20 ms it starts one new connection, whatever became of the earlier
    /// ones (a request waiting out a dropped SYN's retransmission must not hold the next back), <c>GET path</c> with
    /// <c>Connection: close</c>, the whole answer read; a request counts when it gets a 200 and at least <c>bytes</c> bytes
    /// within 3 s. It starts requests until the stop file exists (or <c>seconds</c> passed), then waits for the last.
    /// One line per request: its start (CLOCK_MONOTONIC, s), 1 or 0, its latency in ms.
    /// </summary>
    private const string LegitScript = """
        import asyncio, os, sys, time
        host, port, path, size, stop, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5], float(sys.argv[6])
        request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()

        async def fetch():
            reader, writer = await asyncio.open_connection(host, port)
            try:
                writer.write(request)
                data = await reader.read()
                return data.startswith(b"HTTP/1.1 200") and len(data) >= size
            finally:
                writer.close()

        async def one(lines):
            began = time.monotonic()
            try:
                ok = await asyncio.wait_for(fetch(), 3)
            except (OSError, asyncio.TimeoutError):
                ok = False
            lines.append(f"{began:.6f} {1 if ok else 0} {(time.monotonic() - began) * 1000:.3f}")

        async def main():
            lines, tasks = [], []
            start = time.monotonic()
            while time.monotonic() - start < seconds and not os.path.exists(stop):
                tasks.append(asyncio.ensure_future(one(lines)))
                await asyncio.sleep(0.02)
            await asyncio.gather(*tasks)
            print("\n".join(lines), flush=True)

        asyncio.run(main())
        """;

    /// <summary>wrk for <paramref name="seconds"/> s at <paramref name="connections"/> connections (2 threads, 1 for one
    /// connection) with its latency distribution; <paramref name="close"/> adds <c>Connection: close</c> (one connection per request).</summary>
    public static WrkResult Wrk(LabInfo lab, string url, int connections, int seconds, bool close = false)
    {
        string[] command = ["ip", "netns", "exec", lab.ServerNetns, "wrk", "-t", connections == 1 ? "1" : "2", "-c", Text(connections),
                            "-d", $"{seconds}s", "--latency", "--timeout", "5s", .. close ? new[] { "-H", "Connection: close" } : [], url];
        var result = ProcessRunner.Run(command[0], command.Skip(1), TimeSpan.FromSeconds(seconds + 60));
        if (result.ExitCode != 0) throw new BenchException($"wrk {url} -c {connections} exited {result.ExitCode}:\n{result.Output}\n{result.Error}".TrimEnd());
        return WrkResult.Parse(result.Output);
    }

    /// <summary>curl of <paramref name="url"/> into /dev/null; Gbit/s over curl's total time. Fails unless every byte came.</summary>
    public static double Bulk(LabInfo lab, string url, long bytes)
    {
        var result = ProcessRunner.Run("ip", ["netns", "exec", lab.ServerNetns, "curl", "-sS", "--fail", "--noproxy", "*", "-o", "/dev/null",
                                              "-w", "%{size_download} %{time_total}", url], TimeSpan.FromMinutes(3));
        string[] fields = result.Output.Trim().Split(' ');
        if (result.ExitCode != 0 || fields.Length != 2 || long.Parse(fields[0], CultureInfo.InvariantCulture) != bytes)
            throw new BenchException($"curl {url} exited {result.ExitCode} ({result.Output.Trim()}; {bytes} bytes expected): {result.Error.Trim()}");
        return bytes * 8 / double.Parse(fields[1], CultureInfo.InvariantCulture) / 1e9;
    }

    /// <summary>Gives the server namespace <see cref="FloodSource"/> and drops every packet to it there (no RST, no SYN-ACK answered).</summary>
    public static void PrepareFloodSource(LabInfo lab)
    {
        Tool.Run(["ip", "-n", lab.ServerNetns, "addr", "replace", $"{FloodSource}/32", "dev", lab.ServerIface]);
        Tool.RunIn(lab.ServerNetns, ["nft", "-f", "-"], $$"""
            table ip {{FloodTable}} {
                chain in {
                    type filter hook input priority -10;
                    ip daddr {{FloodSource}} drop
                }
            }

            """);
    }

    public static void RemoveFloodSource(LabInfo lab)
    {
        Tool.TryRun(["ip", "netns", "exec", lab.ServerNetns, "nft", "delete", "table", "ip", FloodTable]);
        Tool.TryRun(["ip", "-n", lab.ServerNetns, "addr", "del", $"{FloodSource}/32", "dev", lab.ServerIface]);
    }

    private const int MaxFloodRuns = 8;

    /// <summary>hping3: <paramref name="syns"/> SYNs from <see cref="FloodSource"/> (source ports counting up from a random
    /// one) to the address and port, one per <paramref name="interval"/>. Returns how many it sent and how long it took.
    /// hping3 ends a run early once it has <em>received</em> as many packets as <c>-c</c> asks, and every SYN-ACK
    /// retransmission counts: on a slow machine the stack's retransmitted SYN-ACKs reached the count after about 4,000
    /// SYNs. So it runs again for the rest, a bounded number of times.</summary>
    public static (long Sent, double Seconds) Flood(LabInfo lab, string address, int port, int syns, string interval)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long total = 0;
        for (int run = 0; run < MaxFloodRuns && total < syns; run++)
        {
            var result = ProcessRunner.Run("ip", ["netns", "exec", lab.ServerNetns, "hping3", "-q", "-S", "-p", Text(port), "-a", FloodSource,
                                                  "-c", Text(syns - (int)total), "-i", interval, address], TimeSpan.FromMinutes(5));
            // "--- ADDR hping statistic ---\nN packets transmitted, M packets received, ..." (hping3 exits 1 when nothing came back).
            var sent = Transmitted().Match(result.Output + result.Error);
            if (!sent.Success) throw new BenchException($"hping3 exited {result.ExitCode} without its statistics:\n{result.Output}\n{result.Error}".TrimEnd());
            total += long.Parse(sent.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        return (total, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Starts the legitimate request loop, which runs until <paramref name="stopFile"/> exists; the task's result is its
    /// requests (start on CLOCK_MONOTONIC in seconds, as <see cref="System.Diagnostics.Stopwatch"/> reads it on Linux; success; latency).</summary>
    public static Task<List<(double Start, bool Ok, double Milliseconds)>> LegitLoop(LabInfo lab, string address, int port, string path, long bytes, string stopFile, double maxSeconds) => Task.Run(() =>
    {
        var result = ProcessRunner.Run("ip", ["netns", "exec", lab.ServerNetns, "python3", "-c", LegitScript, address, Text(port), path,
                                              bytes.ToString(CultureInfo.InvariantCulture), stopFile, maxSeconds.ToString(CultureInfo.InvariantCulture)],
                                       TimeSpan.FromSeconds(maxSeconds + 60));
        if (result.ExitCode != 0) throw new BenchException($"the legitimate client exited {result.ExitCode}: {result.Error.Trim()}");
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')).Select(f =>
            (double.Parse(f[0], CultureInfo.InvariantCulture), f[1] == "1", double.Parse(f[2], CultureInfo.InvariantCulture))).ToList();
    });

    [System.Text.RegularExpressions.GeneratedRegex(@"(\d+) packets transmitted")]
    private static partial System.Text.RegularExpressions.Regex Transmitted();

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
