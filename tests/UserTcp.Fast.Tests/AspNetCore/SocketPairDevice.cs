using UserTcp.Fast.Devices;
using UserTcp.Fast.Native;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.AspNetCore;

/// <summary>
/// One end of an Ethernet "cable" between two stacks in this process, each on its own poll thread: an AF_UNIX
/// SOCK_SEQPACKET socket pair, one frame per message, readable through the descriptor as a live device is. A send the
/// peer's queue cannot take waits for room a few milliseconds, then the frame is dropped (a lossy link, which TCP
/// repairs); a wait, not a drop at once, so bulk transfers do not run on retransmissions.
/// </summary>
internal sealed unsafe class SocketPairDevice : INetworkDevice
{
    private const int SockSeqPacket = 5;
    private const int MaxFrameBytes = 1514 + 4;
    private static readonly TimeSpan SendRoomWait = TimeSpan.FromMilliseconds(5);

    private readonly int _fd;
    private readonly byte[] _receiveBuffer = GC.AllocateArray<byte>(MaxFrameBytes, pinned: true);
    private readonly DeviceCounters _counters = new();
    private int _disposed;

    private SocketPairDevice(int fd, MacAddress mac, string name)
    {
        _fd = fd;
        MacAddress = mac;
        Name = name;
    }

    /// <summary>Both ends: frames sent by one are received by the other.</summary>
    public static (SocketPairDevice A, SocketPairDevice B) CreatePair()
    {
        int* pair = stackalloc int[2];
        if (Libc.SocketPair(Libc.AF_UNIX, SockSeqPacket | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0, pair) != 0)
            throw new InvalidOperationException($"socketpair failed: {Libc.Describe(Libc.LastErrno)}");
        return (new SocketPairDevice(pair[0], MacAddress.Parse("02:00:00:00:0a:01"), "pair-a"),
            new SocketPairDevice(pair[1], MacAddress.Parse("02:00:00:00:0a:02"), "pair-b"));
    }

    public string Name { get; }
    public MacAddress MacAddress { get; }
    public int Mtu => 1500;
    public bool IsHostLocal => false;
    public DeviceStats Stats => _counters.Snapshot();
    public int ReadinessDescriptor => _fd;

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        int frames = 0;
        fixed (byte* buffer = _receiveBuffer)
        {
            while (frames < maxFrames)
            {
                _counters.ReceiveCalls++;
                nint length = Libc.Read(_fd, buffer, MaxFrameBytes);
                if (length <= 0) break;
                frames++;
                _counters.FramesReceived++;
                _counters.BytesReceived += length;
                handler.OnFrame(new ReadOnlySpan<byte>(buffer, (int)length), MonotonicClock.Now);
            }
        }
        return frames;
    }

    public bool Send(ReadOnlySpan<byte> frame)
    {
        var giveUp = MonotonicClock.Now + SendRoomWait;
        fixed (byte* bytes = frame)
        {
            while (true)
            {
                _counters.SendCalls++;
                if (Libc.Write(_fd, bytes, (nuint)frame.Length) == frame.Length)
                {
                    _counters.FramesSent++;
                    _counters.BytesSent += frame.Length;
                    return true;
                }
                if (Libc.LastErrno != Libc.EAGAIN || MonotonicClock.Now > giveUp) return true; // dropped on the cable
                Thread.Yield();
            }
        }
    }

    public void Flush() { }

    public bool WaitForFrames(TimeSpan timeout) => ReadinessWait.WaitReadable(_fd, timeout, Name);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) Libc.Close(_fd);
    }
}
