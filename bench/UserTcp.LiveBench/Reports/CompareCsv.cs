using System.Globalization;
using UserTcp.LiveBench.Results;
using UserTcp.Testbed.Labs;

namespace UserTcp.LiveBench.Reports;

/// <summary>
/// perf-results/data/compare.csv (and data/routed.csv, with the lab's topology first): one row per client process run, every raw figure (derived ones are left to readers).
/// Each column is declared once, with how it is written and read back, so the writer and the readme's reader agree.
/// Stack-only columns are empty for the kernel's runs.
/// </summary>
internal static class CompareCsv
{
    private sealed record Column(string Name, Func<TransferRun, string> Write, Func<TransferRun, string, TransferRun> Read);

    private sealed record StackColumn(string Name, Func<StackFigures, string> Write, Func<StackFigures, string, StackFigures> Read);

    private static readonly Column[] RunColumns =
    [
        new("direction", r => TransferRun.Name(r.Direction), (r, v) => r with { Direction = TransferRun.ParseDirection(v) }),
        new("offload", r => r.Offload ? "on" : "off", (r, v) => r with { Offload = v == "on" }),
        new("sink", r => TransferRun.Name(r.Sink), (r, v) => r with { Sink = TransferRun.ParseSink(v) }),
        new("size", r => r.Size, (r, v) => r with { Size = v }),
        new("bytes", r => Text(r.Bytes), (r, v) => r with { Bytes = Long(v) }),
        new("pair", r => Text(r.Pair), (r, v) => r with { Pair = (int)Long(v) }),
        new("order", r => Text(r.Order), (r, v) => r with { Order = (int)Long(v) }),
        new("side", r => TransferRun.Name(r.Side), (r, v) => r with { Side = TransferRun.ParseSide(v) }),
        new("transfer_seconds", r => Text(r.TransferSeconds), (r, v) => r with { TransferSeconds = Double(v) }),
        new("wall_seconds", r => Text(r.WallSeconds), (r, v) => r with { WallSeconds = Double(v) }),
        new("user_seconds", r => Text(r.UserSeconds), (r, v) => r with { UserSeconds = Double(v) }),
        new("system_seconds", r => Text(r.SystemSeconds), (r, v) => r with { SystemSeconds = Double(v) }),
        new("max_rss_kib", r => Text(r.MaxResidentKib), (r, v) => r with { MaxResidentKib = Long(v) }),
        new("server_in_segs", r => Text(r.ServerInSegments), (r, v) => r with { ServerInSegments = Long(v) }),
        new("server_retrans_segs", r => Text(r.ServerRetransmissions), (r, v) => r with { ServerRetransmissions = Long(v) }),
        new("server_resets", r => Text(r.ServerResets), (r, v) => r with { ServerResets = Long(v) }),
        new("client_retrans_segs", r => Text(r.ClientRetransmissions), (r, v) => r with { ClientRetransmissions = Long(v) }),
    ];

    private static readonly StackColumn[] StackColumns =
    [
        new("frames_received", s => Text(s.FramesReceived), (s, v) => s with { FramesReceived = Long(v) }),
        new("acks_sent", s => Text(s.AcksSent), (s, v) => s with { AcksSent = Long(v) }),
        new("device_receive_calls", s => Text(s.DeviceReceiveCalls), (s, v) => s with { DeviceReceiveCalls = Long(v) }),
        new("device_send_calls", s => Text(s.DeviceSendCalls), (s, v) => s with { DeviceSendCalls = Long(v) }),
        new("gc_gen0", s => Text(s.Gen0Collections), (s, v) => s with { Gen0Collections = Long(v) }),
        new("gc_gen1", s => Text(s.Gen1Collections), (s, v) => s with { Gen1Collections = Long(v) }),
        new("gc_gen2", s => Text(s.Gen2Collections), (s, v) => s with { Gen2Collections = Long(v) }),
        new("allocated_bytes", s => Text(s.AllocatedBytes), (s, v) => s with { AllocatedBytes = Long(v) }),
        new("poll_stack_bytes", s => Text(s.PollStackBytes), (s, v) => s with { PollStackBytes = Long(v) }),
        new("poll_command_bytes", s => Text(s.PollCommandBytes), (s, v) => s with { PollCommandBytes = Long(v) }),
        new("poll_wakeup_bytes", s => Text(s.PollWakeUpBytes), (s, v) => s with { PollWakeUpBytes = Long(v) }),
        new("steady_frames", s => s.SteadyFrames is { } f ? Text(f) : "", (s, v) => s with { SteadyFrames = v.Length == 0 ? null : Long(v) }),
        new("steady_bytes", s => s.SteadyBytes is { } b ? Text(b) : "", (s, v) => s with { SteadyBytes = v.Length == 0 ? null : Long(v) }),
        new("poll_cpu_seconds", s => Text(s.PollCpuSeconds), (s, v) => s with { PollCpuSeconds = Double(v) }),
        new("delayed_ack_timeouts", s => Text(s.DelayedAckTimeouts), (s, v) => s with { DelayedAckTimeouts = Long(v) }),
        new("frames_sent", s => Text(s.FramesSent), (s, v) => s with { FramesSent = Long(v) }),
        new("retransmissions", s => Text(s.Retransmissions), (s, v) => s with { Retransmissions = Long(v) }),
    ];

    /// <summary>routed.csv's columns before the others: which lab, and what the server sent (the path's segment size).</summary>
    private static readonly Column[] TopologyColumns =
    [
        new("topology", r => Lab.TopologyText(r.Topology), (r, v) => r with { Topology = v == Lab.TopologyText(LabTopology.Routed) ? LabTopology.Routed : LabTopology.Flat }),
        new("server_out_segs", r => Text(r.ServerOutSegments), (r, v) => r with { ServerOutSegments = Long(v) }),
    ];

    private static string Header(IEnumerable<Column> columns) => string.Join(',', columns.Select(c => c.Name).Concat(StackColumns.Select(c => c.Name)));

    /// <summary>compare.csv's rows; with <paramref name="topology"/> routed.csv's, <see cref="TopologyColumns"/> first.</summary>
    public static void Write(string path, IEnumerable<TransferRun> runs, bool topology = false)
    {
        var columns = topology ? [.. TopologyColumns, .. RunColumns] : RunColumns;
        var lines = new List<string> { Header(columns) };
        foreach (var run in runs)
        {
            var stack = StackColumns.Select(c => run.Stack is { } figures ? c.Write(figures) : "");
            lines.Add(string.Join(',', columns.Select(c => c.Write(run)).Concat(stack)));
        }
        ReportFile.Write(path, string.Join('\n', lines) + "\n");
    }

    /// <summary>The runs of a compare.csv or a routed.csv, told apart by the header.</summary>
    public static List<TransferRun> Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(line => line.Length > 0).ToList();
        Column[] columns = lines.Count == 0 ? [] : lines[0] == Header(RunColumns) ? RunColumns : lines[0] == Header([.. TopologyColumns, .. RunColumns]) ? [.. TopologyColumns, .. RunColumns] : [];
        if (columns.Length == 0) throw new BenchException($"{path}: not a compare.csv or routed.csv of this version (header differs)");
        var runs = new List<TransferRun>();
        foreach (string line in lines.Skip(1))
        {
            string[] cells = line.Split(',');
            if (cells.Length != columns.Length + StackColumns.Length) throw new BenchException($"{path}: a row has {cells.Length} cells: {line}");
            var run = Empty;
            for (int i = 0; i < columns.Length; i++) run = columns[i].Read(run, cells[i]);
            if (cells[columns.Length].Length > 0)
            {
                var stack = EmptyStack;
                for (int i = 0; i < StackColumns.Length; i++) stack = StackColumns[i].Read(stack, cells[columns.Length + i]);
                run = run with { Stack = stack };
            }
            runs.Add(run);
        }
        return runs;
    }

    private static readonly TransferRun Empty = new()
    {
        Offload = false, Sink = BodySink.DevNull, Size = "", Bytes = 0, Pair = 0, Order = 0, Side = ClientSide.Kernel, TransferSeconds = 0, WallSeconds = 0,
        UserSeconds = 0, SystemSeconds = 0, MaxResidentKib = 0, ServerInSegments = 0, ServerRetransmissions = 0, ServerResets = 0,
    };

    private static readonly StackFigures EmptyStack = new()
    {
        FramesReceived = 0, AcksSent = 0, DeviceReceiveCalls = 0, DeviceSendCalls = 0, Gen0Collections = 0, Gen1Collections = 0,
        Gen2Collections = 0, AllocatedBytes = 0, PollStackBytes = 0, PollCommandBytes = 0, PollWakeUpBytes = 0, PollCpuSeconds = 0,
        DelayedAckTimeouts = 0, FramesSent = 0, Retransmissions = 0,
    };

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);

    private static double Double(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
