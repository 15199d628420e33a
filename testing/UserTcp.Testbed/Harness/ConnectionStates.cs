using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Harness;

/// <summary>
/// Drives an <see cref="EngineHarness"/> to each state of RFC 9293 §3.3.2 with the scripted Linux-like peer, so that a
/// test or a fuzz harness can then feed the segment it is about: LISTEN and SYN-RECEIVED on a listener at
/// <see cref="ListenPort"/>, every other state on an active open (<see cref="EngineHarness.Connection"/>).
/// </summary>
internal static class ConnectionStates
{
    public const ushort ListenPort = 8080;
    /// <summary>The peer's port for a passive open (the active opens use <see cref="EngineHarness.RemotePort"/>).</summary>
    public const ushort PassivePeerPort = 40000;

    /// <summary>Every state a harness can be driven to (CLOSED has no connection and nothing to receive).</summary>
    public static readonly TcpState[] Reachable =
    [
        TcpState.Listen, TcpState.SynSent, TcpState.SynReceived, TcpState.Established, TcpState.FinWait1, TcpState.FinWait2,
        TcpState.CloseWait, TcpState.Closing, TcpState.LastAck, TcpState.TimeWait,
    ];

    public static DrivenState DriveTo(EngineHarness harness, TcpState state)
    {
        switch (state)
        {
            case TcpState.Listen:
                harness.Stack.Listen(ListenPort);
                return new DrivenState(ListenPort, PassivePeerPort, EngineHarness.PeerIss, 0);
            case TcpState.SynReceived:
                harness.Stack.Listen(ListenPort);
                var syn = new TcpHeader(PassivePeerPort, ListenPort, EngineHarness.PeerIss, 0, TcpFlags.Syn, 65535)
                {
                    Options = new TcpOptions { MaximumSegmentSize = 1460, SackPermitted = true, WindowScale = 7 },
                };
                harness.Deliver(syn, localPort: ListenPort);
                var synAck = harness.FlushSingle();
                synAck.Check(Checkers.TcpCheck.Flags(TcpFlags.Syn | TcpFlags.Ack));
                Expect.True(harness.Stack.SynRequestCount == 1, "the SYN waits in the listener's queue");
                return new DrivenState(ListenPort, PassivePeerPort, EngineHarness.PeerIss + 1, synAck.Seq + 1);
            case TcpState.SynSent:
                harness.Connection = harness.Stack.Connect(EngineHarness.Local, EngineHarness.Remote, EngineHarness.RemotePort, harness.Now);
                harness.FlushSingle();
                break;
            case TcpState.Established:
                harness.Establish();
                break;
            case TcpState.FinWait1:
                Close(harness);
                break;
            case TcpState.FinWait2:
                Close(harness);
                PeerAck(harness, finAcked: true, fin: false);
                break;
            case TcpState.Closing:
                Close(harness);
                PeerAck(harness, finAcked: false, fin: true);
                break;
            case TcpState.TimeWait:
                Close(harness);
                PeerAck(harness, finAcked: true, fin: true);
                break;
            case TcpState.CloseWait:
                harness.Establish();
                PeerAck(harness, finAcked: false, fin: true);
                break;
            case TcpState.LastAck:
                harness.Establish();
                PeerAck(harness, finAcked: false, fin: true);
                harness.Connection!.Close();
                harness.Flush();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(state), state, "no way to reach it from the harness");
        }
        var connection = harness.Connection!;
        // TIME-WAIT is kept as a small entry in the stack's table; the connection itself is closed then.
        if (state == TcpState.TimeWait) Expect.True(connection.IsClosed && harness.Stack.TimeWaitCount == 1, "the four-tuple waits in TIME-WAIT");
        else Expect.Equal(state, connection.State);
        // The peer's FIN took one sequence number in the states it was sent in; SYN-SENT waits for its SYN.
        uint peerNext = state switch
        {
            TcpState.SynSent => EngineHarness.PeerIss,
            TcpState.CloseWait or TcpState.LastAck or TcpState.Closing or TcpState.TimeWait => harness.PeerSeq(1),
            _ => harness.PeerSeq(0),
        };
        return new DrivenState(connection.Tuple.LocalPort, EngineHarness.RemotePort, peerNext, connection.ControlBlock.SndNxt.Value);
    }

    /// <summary>ESTABLISHED, then our FIN (FIN-WAIT-1).</summary>
    private static void Close(EngineHarness harness)
    {
        harness.Establish();
        harness.Connection!.Close();
        harness.Flush();
    }

    /// <summary>The peer's next segment: an ACK of our FIN or not, with its own FIN or not; then whatever we answer.</summary>
    private static void PeerAck(EngineHarness harness, bool finAcked, bool fin)
    {
        harness.PeerTimestamp++;
        var flags = TcpFlags.Ack | (fin ? TcpFlags.Fin : 0);
        harness.Deliver(harness.Peer(harness.PeerSeq(0), harness.OurSeq(finAcked ? 1 : 0), flags, options: harness.PeerTimestampOption()));
        harness.Flush();
    }
}
