using System.Globalization;

namespace UserTcp.LiveBench.Roles;

/// <summary>
/// What a receiver asks the burst server for, in one request line: a warm-up transfer, then <see cref="Rounds"/> times an
/// idle pause followed by one write of <see cref="Segments"/> segments; after one more pause the server closes.
/// <see cref="MaxSegment"/> 0 means full segments; 1000 or 536 picks the server's listener whose TCP_MAXSEG clamps the
/// connection's MSS to it, so the same bursts arrive as sub-MSS segments (the receiver still advertises 1460).
/// </summary>
internal sealed record BurstRequest(int Segments, int Rounds, TimeSpan Idle, long WarmupBytes, int MaxSegment = 0)
{
    /// <summary>The full-segment listener; the clamped ones follow it (<see cref="ClampedMaxSegments"/>).</summary>
    public const ushort FullSegmentPort = 5201;

    /// <summary>The TCP_MAXSEG values of the clamped listeners, on ports 5202, 5203.</summary>
    public static readonly int[] ClampedMaxSegments = [1000, 536];

    /// <summary>
    /// A full segment's payload on the lab's 1500-byte MTU with the timestamps option, which both receivers negotiate
    /// (1500 − 20 IPv4 − 20 TCP − 12): the server checks its MSS against it, so a burst is exactly that many frames.
    /// </summary>
    public const int FullSegmentBytes = 1448;

    /// <summary>The aligned timestamps option: Linux counts it inside the clamped MSS (tcp_current_mss), so MAXSEG 1000 sends 988 bytes.</summary>
    private const int TimestampsOptionBytes = 12;

    public ushort Port => PortFor(MaxSegment);

    /// <summary>The payload of every burst segment: what the server's MSS must be.</summary>
    public int SegmentBytes => MaxSegment == 0 ? FullSegmentBytes : MaxSegment - TimestampsOptionBytes;

    public long BurstBytes => (long)Segments * SegmentBytes;
    public long TotalBytes => WarmupBytes + Rounds * BurstBytes;

    public string Line => string.Create(CultureInfo.InvariantCulture, $"burst {Segments} {Rounds} {(long)Idle.TotalMilliseconds} {WarmupBytes} {MaxSegment}\n");

    public static ushort PortFor(int maxSegment)
    {
        if (maxSegment == 0) return FullSegmentPort;
        int index = Array.IndexOf(ClampedMaxSegments, maxSegment);
        return index >= 0 ? (ushort)(FullSegmentPort + 1 + index) : throw new BenchException($"no listener clamps the MSS to {maxSegment}");
    }

    public string[] ToArguments() =>
    [
        "--segments", Segments.ToString(CultureInfo.InvariantCulture), "--rounds", Rounds.ToString(CultureInfo.InvariantCulture),
        "--idle-ms", ((long)Idle.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "--warmup-bytes", WarmupBytes.ToString(CultureInfo.InvariantCulture),
        "--max-segment", MaxSegment.ToString(CultureInfo.InvariantCulture),
    ];

    public static BurstRequest From(BenchArguments arguments) => new(
        (int)arguments.RequiredLong("--segments"), (int)arguments.RequiredLong("--rounds"),
        TimeSpan.FromMilliseconds(arguments.RequiredLong("--idle-ms")), arguments.RequiredLong("--warmup-bytes"), (int)arguments.RequiredLong("--max-segment"));

    public static BurstRequest Parse(string line)
    {
        string[] fields = line.Trim().Split(' ');
        if (fields.Length != 6 || fields[0] != "burst" || !fields.Skip(1).All(f => long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new BenchException($"not a burst request: '{line.Trim()}'");
        long Field(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
        return new BurstRequest((int)Field(1), (int)Field(2), TimeSpan.FromMilliseconds(Field(3)), Field(4), (int)Field(5));
    }
}
