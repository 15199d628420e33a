using System.Net.Sockets;

namespace UserTcp.LiveBench.Roles;

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

    /// <summary>TCP_MAXSEG on a listener: the MSS its SYN-ACKs advertise and its connections use (Linux counts the timestamps option inside it).</summary>
    public static void ClampMaxSegment(Socket socket, int maxSegment)
    {
        Span<byte> value = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(value, maxSegment);
        socket.SetRawSocketOption(SolTcp, TcpMaxSegment, value);
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
