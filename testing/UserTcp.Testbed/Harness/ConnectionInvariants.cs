using System.Runtime.CompilerServices;
using UserTcp.Fast.Tcp;

namespace UserTcp.Testbed.Harness;

/// <summary>
/// The engine's invariants, read from each connection's control block (<see cref="TcpConnection.ControlBlock"/>) after
/// every segment, timer run or application call: the sequence space (RFC 9293 §3.3.1), the windows, the buffer
/// accounting and the timers. Throws <see cref="TestbedException"/> naming the rule and the state on the first
/// violation. The fuzz harnesses and the tests that replay their findings both run it; it remembers each connection's
/// last RCV.NXT and advertised right edge, which may only move forward.
/// </summary>
internal sealed class ConnectionInvariants
{
    /// <summary>Window scale 14 (RFC 7323 §2.3) times the 16-bit field: no peer window can be larger.</summary>
    private const long MaxPeerWindow = (long)ushort.MaxValue << 14;

    private readonly ConditionalWeakTable<object, Seen> _seen = new();

    /// <summary>Checks every connection of <paramref name="stack"/>.</summary>
    public void Check(TcpStack stack)
    {
        foreach (var connection in stack.Connections) Check(connection);
    }

    public void Check(TcpConnection connection) => Check(connection, connection.ControlBlock);

    /// <summary>Checks <paramref name="b"/> as the state of <paramref name="connection"/> (any object standing for one: the
    /// checker's own tests hand it made-up blocks).</summary>
    public void Check(object connection, in TcpControlBlockView b)
    {
        // Send sequence space: SND.UNA <= SND.NXT <= SND.MAX, and what is in flight is in the send buffer (plus SYN and FIN).
        Require(b.SndUna <= b.SndNxt, "SND.UNA <= SND.NXT", b);
        Require(b.SndNxt <= b.SndMax, "SND.NXT <= SND.MAX", b);
        Require(b.SndMax - b.SndUna <= b.SendBuffered + 2, "bytes in flight fit the send buffer (+ SYN, FIN)", b);
        Require(b.SndWnd >= 0 && b.SndWnd <= MaxPeerWindow, "0 <= SND.WND <= 65535 << 14", b);
        // Buffers: never more bytes than the limit, never a limit above the capacity.
        Require(b.SendBuffered >= 0 && b.SendBuffered <= b.SendCapacity, "send buffer within its capacity", b);
        Require(b.ReceiveBuffered >= 0 && b.ReceiveBuffered <= b.ReceiveCapacity, "receive buffer within its capacity", b);
        Require(b.ReceiveLimit <= b.ReceiveCapacity && b.SendLimit <= b.SendCapacity, "buffer limits within capacities", b);
        Require(b.OutOfOrderRanges is >= 0 and <= 32 && b.ScoreboardRanges is >= 0 and <= 32, "range sets bounded (32)", b);
        Require(b.ReceiveBuffered + b.OutOfOrderBytes <= b.ReceiveCapacity, "in-order + out-of-order bytes fit the receive buffer", b);
        // Timers: data or SYN/FIN in flight keeps the retransmission (or persist) timer armed (RFC 6298 §5.1), and a
        // closed connection keeps none.
        if (b.State == TcpState.Closed)
            Require(b.RetransmitAt.IsNever && b.DelayedAckAt.IsNever && b.TimeWaitAt.IsNever && b.KeepAliveAt.IsNever,
                    "a closed connection has no timer armed", b);
        else if (b.State is not TcpState.TimeWait && b.SndMax != b.SndUna)
            Require(!b.RetransmitAt.IsNever, "data in flight arms the retransmission timer", b);

        // Receive side, once the peer's ISN is known: RCV.NXT and the advertised right edge only move forward
        // (RFC 9293 §3.8.6.2.2: a window is never shrunk).
        if (b.State is TcpState.Closed or TcpState.SynSent or TcpState.Listen) return;
        var seen = _seen.GetOrCreateValue(connection);
        if (seen.Known)
        {
            Require(b.RcvNxt >= seen.RcvNxt, $"RCV.NXT monotonic (was {seen.RcvNxt})", b);
            Require(b.AdvertisedRightEdge >= seen.RightEdge, $"advertised right edge never moves back (was {seen.RightEdge})", b);
        }
        seen.Known = true;
        seen.RcvNxt = b.RcvNxt;
        seen.RightEdge = b.AdvertisedRightEdge;
    }

    private static void Require(bool condition, string rule, in TcpControlBlockView block)
    {
        if (!condition) throw new TestbedException($"engine invariant violated: {rule}; {block}");
    }

    private sealed class Seen
    {
        public bool Known;
        public SeqNum RcvNxt;
        public SeqNum RightEdge;
    }
}
