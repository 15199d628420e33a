namespace UserTcp.LiveBench.Roles;

/// <summary>What a receiver asks the event server for, in one request line: which event to provoke after the warm-up and the idle pause.</summary>
internal sealed record EventRequest(EventKind Kind)
{
    public const ushort Port = 5204;

    /// <summary>Full segments of warm-up data before the pause: the template frames the injector copies and the data a duplicate repeats.</summary>
    public const int WarmupSegments = 10;

    /// <summary>The pushed sub-MSS burst: this many writes of <see cref="PushedBytes"/> with TCP_NODELAY, one segment each.</summary>
    public const int PushedSegments = 8, PushedBytes = 500;

    /// <summary>The in-window RST's distance above RCV.NXT: inside the window, not at its left edge, so RFC 5961 asks for a challenge ACK.</summary>
    public const int ResetOffset = 1000;

    public string Line => $"event {Name(Kind)}\n";

    public static string Name(EventKind kind) => kind switch
    {
        EventKind.OutOfOrder => "out-of-order",
        EventKind.HoleFill => "hole-fill",
        EventKind.Duplicate => "duplicate",
        EventKind.InWindowReset => "in-window-rst",
        EventKind.PushedSubMss => "pushed-sub-mss",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static EventKind Parse(string name)
    {
        foreach (var kind in Enum.GetValues<EventKind>())
            if (Name(kind) == name) return kind;
        throw new BenchException($"not an event: '{name}'");
    }

    public static EventRequest ParseLine(string line)
    {
        string[] fields = line.Trim().Split(' ');
        if (fields.Length != 2 || fields[0] != "event") throw new BenchException($"not an event request: '{line.Trim()}'");
        return new EventRequest(Parse(fields[1]));
    }

    /// <summary>The receivers' <c>--events</c> argument: the connections' events in order, comma-separated.</summary>
    public static string Format(IEnumerable<EventKind> kinds) => string.Join(',', kinds.Select(Name));

    public static List<EventKind> ParseList(string list) => list.Split(',').Select(Parse).ToList();
}
