using UserTcp.Fast.Tcp;

namespace UserTcp.Testbed.Simulation;

/// <summary>What a simulated transfer did. <see cref="Failure"/> is null when it was byte-exact and closed cleanly.</summary>
internal sealed record TransferResult
{
    public required ulong Seed { get; init; }
    public string? Failure { get; init; }
    public bool Succeeded => Failure is null;
    public long BytesFromClient { get; init; }
    public long BytesFromServer { get; init; }
    /// <summary>Virtual time until both applications had every byte.</summary>
    public TimeSpan DataTime { get; init; }
    /// <summary>Virtual time until both stacks had forgotten the connection (TIME-WAIT included).</summary>
    public TimeSpan CloseTime { get; init; }
    public long Retransmissions { get; init; }
    public long RetransmissionTimeouts { get; init; }
    public long FastRetransmits { get; init; }
    public long AcksSent { get; init; }
    public long SegmentsSent { get; init; }
    public long FramesDropped { get; init; }
    public TcpError ClientError { get; init; }
    public TcpError ServerError { get; init; }

    public double GoodputMbps => DataTime > TimeSpan.Zero ? (BytesFromClient + BytesFromServer) * 8 / DataTime.TotalSeconds / 1e6 : 0;
}
