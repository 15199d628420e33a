using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// A SYN-ACK owed by the passive side before any connection exists: for a half-open <see cref="SynRequest"/> or a SYN
/// cookie (Linux tcp_make_synack). It carries our MSS and, when the SYN offered them and we use them, window scale,
/// SACK-permitted and timestamps (RFC 7323 §1.3, RFC 2018 §2: only options the SYN carried); its window is never scaled.
/// </summary>
internal readonly record struct SynAckSegment(TcpFourTuple Tuple, SeqNum Iss, SeqNum Ack, ushort Window, ushort Mss,
                                              byte? WindowScale, bool SackPermitted, TcpTimestamps? Timestamps)
{
    public int Write(Span<byte> buffer)
    {
        var options = new TcpOptions { MaximumSegmentSize = Mss, WindowScale = WindowScale, SackPermitted = SackPermitted, Timestamps = Timestamps };
        var header = new TcpHeader(Tuple.LocalPort, Tuple.RemotePort, Iss.Value, Ack.Value, TcpFlags.Syn | TcpFlags.Ack, Window) { Options = options };
        int length = header.Length;
        header.Emit(buffer[..length], Tuple.LocalAddress, Tuple.RemoteAddress);
        return length;
    }
}
