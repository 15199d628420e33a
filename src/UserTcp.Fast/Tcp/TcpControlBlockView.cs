using UserTcp.Fast.Time;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// A copy of the state variables of one connection (RFC 9293 §3.3.1), for the testbed's invariant checker and the fuzz
/// harnesses: they read it after every segment and fail when the sequence space, the windows, the buffers or the timers
/// disagree. Never on the hot path.
/// </summary>
internal readonly record struct TcpControlBlockView(
    TcpState State,
    SeqNum SndUna,
    SeqNum SndNxt,
    SeqNum SndMax,
    long SndWnd,
    SeqNum RingSeq,
    bool FinQueued,
    SeqNum RcvNxt,
    SeqNum AdvertisedRightEdge,
    int SendBuffered,
    int SendLimit,
    int SendCapacity,
    int ReceiveBuffered,
    int ReceiveLimit,
    int ReceiveCapacity,
    int OutOfOrderRanges,
    long OutOfOrderBytes,
    int ScoreboardRanges,
    bool Persisting,
    Instant RetransmitAt,
    Instant DelayedAckAt,
    Instant TimeWaitAt,
    Instant KeepAliveAt);
