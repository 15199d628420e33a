using System.Globalization;

namespace UserTcp.LiveBench.Roles;

/// <summary>
/// What a receiver asks the burst server for, in one request line: a warm-up transfer, then <see cref="Rounds"/> times an
/// idle pause followed by one write of <see cref="Segments"/> full segments; after one more pause the server closes.
/// </summary>
internal sealed record BurstRequest(int Segments, int Rounds, TimeSpan Idle, long WarmupBytes)
{
    public const ushort Port = 5201;

    /// <summary>
    /// A full segment's payload on the lab's 1500-byte MTU with the timestamps option, which both receivers negotiate
    /// (1500 − 20 IPv4 − 20 TCP − 12): the server checks its MSS against it, so a burst is exactly that many frames.
    /// </summary>
    public const int SegmentBytes = 1448;

    public long BurstBytes => (long)Segments * SegmentBytes;
    public long TotalBytes => WarmupBytes + Rounds * BurstBytes;

    public string Line => string.Create(CultureInfo.InvariantCulture, $"burst {Segments} {Rounds} {(long)Idle.TotalMilliseconds} {WarmupBytes}\n");

    public string[] ToArguments() =>
    [
        "--segments", Segments.ToString(CultureInfo.InvariantCulture), "--rounds", Rounds.ToString(CultureInfo.InvariantCulture),
        "--idle-ms", ((long)Idle.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "--warmup-bytes", WarmupBytes.ToString(CultureInfo.InvariantCulture),
    ];

    public static BurstRequest From(BenchArguments arguments) => new(
        (int)arguments.RequiredLong("--segments"), (int)arguments.RequiredLong("--rounds"),
        TimeSpan.FromMilliseconds(arguments.RequiredLong("--idle-ms")), arguments.RequiredLong("--warmup-bytes"));

    public static BurstRequest Parse(string line)
    {
        string[] fields = line.Trim().Split(' ');
        if (fields.Length != 5 || fields[0] != "burst" || !fields.Skip(1).All(f => long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new BenchException($"not a burst request: '{line.Trim()}'");
        long Field(int i) => long.Parse(fields[i], CultureInfo.InvariantCulture);
        return new BurstRequest((int)Field(1), (int)Field(2), TimeSpan.FromMilliseconds(Field(3)), Field(4));
    }
}
