using System.Globalization;
using UserTcp.Fast.Buffers;
using UserTcp.LiveBench.Results;

namespace UserTcp.LiveBench.Reports;

/// <summary>perf-results/memory.md and data/memory.csv from the memory measurement's runs.</summary>
internal static class MemoryReport
{
    private const double IdleTarget = 32 * 1024, TimeWaitTarget = 1024; // issue 11's targets, bytes

    public static void Write(string report, string csv, IReadOnlyList<MemoryRun> runs, string commit, DateTimeOffset at, TimeSpan elapsed)
    {
        var data = new MarkdownText();
        data.Line("connections,phase,heap_bytes,rss_bytes,tcp_connections,time_wait_entries,streams,chunks_in_use,spare_chunks,heap_per_connection,rss_per_connection,rate_bytes_per_s,receive_buffer,send_buffer");
        foreach (var run in runs)
        foreach (var figures in run.Figures)
        {
            var (heap, rss) = figures.Phase == MemoryPhases.Baseline ? (0, 0) : run.PerConnection(figures.Phase);
            data.Line(string.Join(',', run.Connections, figures.Phase, figures.HeapBytes, figures.RssBytes, figures.Connections,
                figures.TimeWait, figures.Streams, figures.ChunksInUse, figures.SpareChunks, F(heap), F(rss), run.RateBytesPerSecond, run.ReceiveBufferSize, run.SendBufferSize));
        }
        ReportFile.Write(csv, data.ToString());

        var text = new MarkdownText();
        text.Line("# Memory per connection");
        text.Line();
        text.Line($"Commit {commit}, measured {at:yyyy-MM-dd HH:mm} UTC in {elapsed.TotalSeconds:0} s by `bench/run-memory.sh` (data: `{Path.GetFileName(csv)}`).");
        text.Line();
        text.Line("## Method");
        text.Line();
        text.Line("One stack process per connection count, in a lab of its own, uses the library as an application does");
        text.Line("(`NetworkStack.Start`, `ConnectAsync`, `TcpStream`) against a kernel listener in the server namespace (a python3");
        text.Line("asyncio server that holds connections open, streams to one on request and closes after the client's FIN).");
        text.Line("Every connection has a `ReadAsync` pending throughout, as a server's would. Before the baseline the process runs");
        text.Line("one round of 16 connections through every phase, so the JIT is done, and fills the stack's pool of 16 KiB buffer");
        text.Line($"chunks (it keeps up to {ChunkPool.RetainedChunks} spare, {ChunkPool.RetainedChunks * ChunkPool.ChunkSize >> 20} MiB), so spare chunks are in the baseline, not in a");
        text.Line("connection's figure. Figures: the managed heap after two full compacting collections (`GC.GetTotalMemory`)");
        text.Line("and the process's resident set (VmRSS), each minus the baseline's, divided by the connection count (TIME-WAIT:");
        text.Line("by the entries added).");
        text.Line();
        text.Line("- **idle**: every connection established, nothing moving, one second after the last handshake;");
        text.Line("- **active**: every connection receiving from the server at the rate shown, read as it arrives, after 3 s of it;");
        text.Line("- **TIME-WAIT**: the stack closed first (FIN), the server answered with its FIN; every connection is in TIME-WAIT");
        text.Line("  (held for 10 minutes in this measurement, so none expires during a slow close of thousands),");
        text.Line("  the streams disposed. This figure also holds what the stack keeps sized for the largest number of connections");
        text.Line("  it had (its tables do not shrink) and what the process grew by meanwhile (thread pool, runtime), so it is an");
        text.Line("  upper bound for an entry, noisy at small counts (at 1,000 it moved between 0.4 and 1.9 KiB per entry, up to 1.6 MB,");
        text.Line("  over six runs here, against 260 to 360 B at 10,000); the difference between");
        text.Line("  two counts below the table leaves the fixed part out. An entry itself is 100 B: key 16, value 48, expiry-queue");
        text.Line("  element 24, a bucket and a link 12, with the two collections' slack up to twice that (TcpTimeWaitTests).");
        text.Line();
        text.Line("A connection's buffers hold 16 KiB chunks only while bytes are in them (\"chunks held\": all connections");
        text.Line("together, at the moment of the figure); a reader that keeps up leaves none between arrivals. RSS is noisier");
        text.Line("than the heap (the runtime keeps freed memory mapped, the thread pool grows); the heap figure is the one that");
        text.Line("follows the stack's data structures. Where the asked rate was not reached (\"not reached\"), chunks held say");
        text.Line("which side lagged: many mean the stack had the bytes and its readers had not taken them yet; few, that the");
        text.Line("server did not send them. The python server paces every connection from one loop and takes little CPU.");
        text.Line();
        text.Line("## Figures");
        text.Line();
        text.Line("| connections | buffer maxima per connection (receive/send) | phase | heap per connection | RSS per connection | chunks held | received |");
        text.Line("|--:|---|---|--:|--:|--:|--:|");
        foreach (var run in runs)
        foreach (string phase in new[] { MemoryPhases.Idle, MemoryPhases.Active, MemoryPhases.TimeWait })
        {
            var (heap, rss) = run.PerConnection(phase);
            double rate = run.ActiveBytesReceived / run.ActiveSeconds / run.Connections;
            string received = phase == MemoryPhases.Active
                ? $"{rate / 1024:0} KiB/s each (asked {run.RateBytesPerSecond / 1024} KiB/s{(rate < 0.9 * run.RateBytesPerSecond ? ", not reached" : "")})"
                : "";
            text.Line($"| {run.Connections:N0} | {Size(run.ReceiveBufferSize)}/{Size(run.SendBufferSize)} | {phase} | {Size(heap)} | {Size(rss)} | {run[phase].ChunksInUse:N0} | {received} |");
        }
        text.Line();
        // Two counts with the same buffers: the difference per connection leaves out what a process has whatever its count.
        foreach (var same in runs.GroupBy(r => (r.ReceiveBufferSize, r.SendBufferSize)))
        {
            var small = same.MinBy(r => r.Connections)!;
            var large = same.MaxBy(r => r.Connections)!;
            if (small.Connections == large.Connections) continue;
            text.Line($"Per additional connection from {small.Connections:N0} to {large.Connections:N0} with these buffers (heap): " + string.Join(", ",
                new[] { MemoryPhases.Idle, MemoryPhases.Active, MemoryPhases.TimeWait }.Select(phase =>
                    $"{phase} {Size((large.AboveBaseline(phase).Heap - small.AboveBaseline(phase).Heap) / (double)(large.Count(phase) - small.Count(phase)))}")) + ".");
            text.Line();
        }
        foreach (var run in runs.Where(r => r.Reset > 0))
            text.Line($"{run.Connections:N0} connections: {run.Reset} were not closed by the server (no progress for 30 s) and were reset; the TIME-WAIT figure counts the others.");
        if (runs.Any(r => r.Reset > 0)) text.Line();
        text.Line("## Targets (issue 11)");
        text.Line();
        foreach (var run in runs)
        {
            var idle = run.PerConnection(MemoryPhases.Idle).Heap;
            var timeWait = run.PerConnection(MemoryPhases.TimeWait).Heap;
            text.Line($"- {run.Connections:N0} connections: idle established ≤ 32 KiB: {(idle <= IdleTarget ? "met" : "missed")} ({Size(idle)}); " +
                      $"TIME-WAIT ≤ 1 KiB: {(timeWait <= TimeWaitTarget ? "met" : "missed")} ({Size(timeWait)}).");
        }
        ReportFile.Write(report, text.ToString());
    }

    private static string F(double value) => value.ToString("0", CultureInfo.InvariantCulture);

    private static string Size(double bytes) => Math.Abs(bytes) switch
    {
        >= 1 << 20 => $"{bytes / (1 << 20):0.0} MiB",
        >= 1 << 10 => $"{bytes / 1024:0.0} KiB",
        _ => $"{bytes:0} B",
    };
}
