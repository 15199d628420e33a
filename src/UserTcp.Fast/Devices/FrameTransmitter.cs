using UserTcp.Fast.Buffers;
using UserTcp.Fast.Native;

namespace UserTcp.Fast.Devices;

/// <summary>
/// Writes whole frames to a non-blocking descriptor (a TAP's tun fd, or libpcap's packet socket, where
/// <c>pcap_inject</c> is exactly this write) and keeps the frames the kernel could not take yet.
/// </summary>
/// <remarks>
/// <para>One write(2) per frame: <see cref="DeviceStats.SendCalls"/> counts every attempt, retries included.</para>
/// <para><b>Transient refusals</b> (EAGAIN, ENOBUFS, EINTR) copy the frame into a pooled pinned buffer of a bounded
/// FIFO (<see cref="DeviceStats.SendsDeferred"/>); <see cref="Flush"/> retries in order. While the FIFO holds frames a
/// new frame queues behind them, so retries never reorder a flow. A full FIFO drops (<see cref="DeviceStats.SendsDropped"/>).
/// <b>Per-frame refusals</b> (EMSGSIZE, EINVAL) and a link that is down (ENETDOWN; EIO on a TAP) drop the frame and count it: the next
/// frame may well go. Anything else means the descriptor or interface is gone: <see cref="DeviceUnavailableException"/>.</para>
/// </remarks>
internal sealed unsafe class FrameTransmitter
{
    private readonly int _fd;
    private readonly string _deviceName;
    private readonly DeviceCounters _stats;
    private readonly FramePool _pool;
    private readonly FrameBuffer[] _queued;
    private readonly int[] _queuedLengths;
    private int _head;
    private int _count;

    /// <param name="queueCapacity">Frames kept for a retry; each gets a buffer of <paramref name="maxFrameBytes"/>.</param>
    public FrameTransmitter(int fd, string deviceName, DeviceCounters stats, int queueCapacity, int maxFrameBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queueCapacity);
        _fd = fd;
        _deviceName = deviceName;
        _stats = stats;
        _pool = new FramePool(queueCapacity, maxFrameBytes);
        _queued = new FrameBuffer[queueCapacity];
        _queuedLengths = new int[queueCapacity];
    }

    /// <summary>Frames waiting for a retry.</summary>
    public int Queued => _count;

    public bool Send(ReadOnlySpan<byte> frame)
    {
        if (_count > 0)
        {
            Flush();
            if (_count > 0) return Defer(frame);
        }
        return Attempt(frame) switch
        {
            Outcome.Sent => true,
            Outcome.Busy => Defer(frame),
            _ => false,
        };
    }

    public void Flush()
    {
        while (_count > 0)
        {
            var buffer = _queued[_head];
            var outcome = Attempt(buffer.Span[.._queuedLengths[_head]]);
            if (outcome == Outcome.Busy) return;
            _pool.Return(buffer);
            _queued[_head] = default;
            _head = (_head + 1) % _queued.Length;
            _count--;
        }
    }

    private enum Outcome { Sent, Busy, Dropped }

    private Outcome Attempt(ReadOnlySpan<byte> frame)
    {
        _stats.SendCalls++;
        nint written;
        fixed (byte* bytes = frame) written = Libc.Write(_fd, bytes, (nuint)frame.Length);
        if (written >= 0)
        {
            _stats.FramesSent++;
            _stats.BytesSent += frame.Length;
            return Outcome.Sent;
        }
        int errno = Libc.LastErrno;
        switch (errno)
        {
            case Libc.EAGAIN or Libc.ENOBUFS or Libc.EINTR:
                return Outcome.Busy;
            case Libc.EMSGSIZE:
                _stats.Oversize++;
                _stats.SendsDropped++;
                return Outcome.Dropped;
            // EIO: a TAP whose interface is down.
            case Libc.EINVAL or Libc.ENETDOWN or Libc.EIO:
                _stats.SendsDropped++;
                return Outcome.Dropped;
            default:
                throw new DeviceUnavailableException(DeviceUnavailableReason.InterfaceGone, $"{_deviceName}: send failed: {Libc.Describe(errno)}");
        }
    }

    private bool Defer(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > _pool.BufferSize || !_pool.TryRent(out var buffer))
        {
            _stats.SendsDropped++;
            return false;
        }
        frame.CopyTo(buffer.Span);
        int tail = (_head + _count) % _queued.Length;
        _queued[tail] = buffer;
        _queuedLengths[tail] = frame.Length;
        _count++;
        _stats.SendsDeferred++;
        return true;
    }
}
