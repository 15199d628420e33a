using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Tcp;

namespace UserTcp.Testbed.Simulation;

/// <summary>One seeded transfer between two engines over a simulated link: who sends how much, over what link.</summary>
internal sealed record TransferScenario
{
    public ulong Seed { get; init; }
    /// <summary>Bytes the client sends to the server (upload).</summary>
    public long BytesFromClient { get; init; }
    /// <summary>Bytes the server sends to the client (download).</summary>
    public long BytesFromServer { get; init; }
    public LinkProfile ClientToServer { get; init; } = LinkProfile.Perfect;
    public LinkProfile ServerToClient { get; init; } = LinkProfile.Perfect;
    public TcpConfig ClientConfig { get; init; } = new();
    public TcpConfig ServerConfig { get; init; } = new();
    /// <summary>The client application reads at most this many bytes per second (null: as fast as data comes).</summary>
    public long? ClientReadBytesPerSecond { get; init; }
    /// <summary>Frames a host processes per receive batch before it flushes its ACKs.</summary>
    public int Batch { get; init; } = 64;
    /// <summary>Frames the link holds in flight (queue plus propagation); large for a high bandwidth-delay product.</summary>
    public int LinkFramesInFlight { get; init; } = 8192;
    public TimeSpan VirtualTimeLimit { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Fixed initial sequence numbers (e.g. just before 2^32, to cross the wrap); null: RFC 6528 ISNs.</summary>
    public uint? ClientIss { get; init; }
    public uint? ServerIss { get; init; }
    /// <summary>Fill and check every byte (the default). Off, applications move unfilled buffers: for throughput benchmarks,
    /// so they measure the stack and not the pattern generator.</summary>
    public bool VerifyData { get; init; } = true;
    /// <summary>Called with every frame either host sends, before the link's faults apply.</summary>
    public FrameTap? Tap { get; init; }
    /// <summary>Called once with the client's and the server's TCP layers before the transfer starts (to read their
    /// buffer pools during it, say).</summary>
    public Action<TcpStack, TcpStack>? OnStacks { get; init; }
}
