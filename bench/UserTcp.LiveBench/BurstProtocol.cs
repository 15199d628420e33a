using System.Globalization;
using System.Net.Sockets;
using System.Text.Json.Serialization;

namespace UserTcp.LiveBench;

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

/// <summary>
/// The server's own view of one burst, from TCP_INFO around its write: what proves the burst left back to back (the
/// congestion window and the peer's window had room for all of it, nothing was in flight before, nothing was left
/// unsent when the write returned).
/// </summary>
internal sealed record BurstRound(int CongestionWindowBefore, long PeerWindowBefore, int UnacknowledgedBefore, long NotSentAfter, bool OneWrite, double WriteMicroseconds);

/// <summary>What the burst server reports for one connection, in one line, when it is done with it.</summary>
internal sealed record ServedConnection
{
    public string ClientAddress { get; init; } = "";
    public int ClientPort { get; init; }
    public int Mss { get; init; }
    public string CongestionControl { get; init; } = "";
    public List<BurstRound> Rounds { get; init; } = [];
    public string? Error { get; init; }
}

/// <summary>What a receiver process reports: its side of the connection and, for the stack, the engine's own ACK delays.</summary>
internal sealed record ReceiverResult
{
    public int LocalPort { get; init; }
    public long BytesReceived { get; init; }
    /// <summary>The stack's arrival-to-ACK delay of every burst segment (<c>TcpStack.AckLatency</c>'s raw samples); empty for the kernel.</summary>
    public long[] InStackNanoseconds { get; init; } = [];
    /// <summary>How many delays the histogram recorded over the bursts (more than <see cref="InStackNanoseconds"/> only if its buffer overflowed).</summary>
    public long InStackCount { get; init; }
    /// <summary>The stack's counters over the bursts (from the end of the warm-up transfer to the FIN), ps_drop among them; null for the kernel.</summary>
    public RunResult? Bursts { get; init; }
    /// <summary>Every poll-loop turn that delivered burst data, in order: the stack's batches.</summary>
    public List<TurnTiming> Turns { get; init; } = [];
}

/// <summary>
/// One poll-loop turn: the frames it received, its wall time from its start to the application's read (receive, protocol
/// work, the naive policy's ACK writes, the read), and from there to the end of its flush (the cumulative ACK's write).
/// </summary>
internal sealed record TurnTiming(int Frames, double WorkMicroseconds, double FlushMicroseconds);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ServedConnection))]
[JsonSerializable(typeof(ReceiverResult))]
[JsonSerializable(typeof(TurnTiming))]
internal sealed partial class AckLatencyJson : JsonSerializerContext;

/// <summary>
/// The fields of Linux's <c>struct tcp_info</c> (getsockopt TCP_INFO) the burst server reads, by their offsets in
/// include/uapi/linux/tcp.h, and the socket's MSS and congestion control.
/// </summary>
internal readonly record struct TcpSocketInfo(int Unacknowledged, int CongestionWindow, long NotSentBytes, long PeerWindow)
{
    private const int SolTcp = 6, TcpMaxSegment = 2, TcpInfoOption = 11, TcpCongestion = 13;
    private const int UnackedOffset = 24, SendCwndOffset = 80, NotSentOffset = 144, SendWindowOffset = 228;

    public static TcpSocketInfo Read(Socket socket)
    {
        Span<byte> info = stackalloc byte[256];
        int length = socket.GetRawSocketOption(SolTcp, TcpInfoOption, info);
        if (length < SendWindowOffset + 4) throw new BenchException($"TCP_INFO has {length} bytes: this kernel has no tcpi_snd_wnd (Linux 5.4 or later has)");
        return new TcpSocketInfo(ReadInt(info, UnackedOffset), ReadInt(info, SendCwndOffset), (uint)ReadInt(info, NotSentOffset), (uint)ReadInt(info, SendWindowOffset));
    }

    public static int MaxSegment(Socket socket)
    {
        Span<byte> value = stackalloc byte[4];
        socket.GetRawSocketOption(SolTcp, TcpMaxSegment, value);
        return ReadInt(value, 0);
    }

    /// <summary>
    /// Cubic on this socket (accepted ones inherit it): this machine's default is BBR, which paces a burst out instead of
    /// sending it at once, and a namespace may not change its default to an algorithm outside the host's allowed list,
    /// while a socket of a process with CAP_NET_ADMIN may pick any available one.
    /// </summary>
    public static void UseCubic(Socket socket) => socket.SetRawSocketOption(SolTcp, TcpCongestion, "cubic"u8);

    public static string CongestionControl(Socket socket)
    {
        Span<byte> name = stackalloc byte[16];
        int length = socket.GetRawSocketOption(SolTcp, TcpCongestion, name);
        return System.Text.Encoding.ASCII.GetString(name[..length]).TrimEnd('\0');
    }

    // In the machine's byte order: little-endian on every platform this harness runs on (x86-64, arm64).
    private static int ReadInt(ReadOnlySpan<byte> bytes, int offset) => System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes[offset..]);
}
