using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Native;

namespace UserTcp.Fast.Devices;

/// <summary>
/// Writes whole frames to a non-blocking descriptor (a TAP's tun fd, libpcap's packet socket, where <c>pcap_inject</c> is
/// exactly a write, or a packet socket with PACKET_VNET_HDR) and keeps the frames the kernel could not take yet.
/// </summary>
/// <remarks>
/// <para><b>One call per frame</b> (<c>batchFrames</c> 1, a TAP, whose character device has no sendmmsg): each frame is
/// one write(2) at once. <b>Batched</b> (<c>batchFrames</c> &gt; 1, libpcap's packet socket): each frame is copied into a
/// pooled pinned buffer of the FIFO below and nothing is written until <see cref="Flush"/>, which hands up to
/// <c>batchFrames</c> frames to the kernel per sendmmsg(2); a FIFO holding <c>batchFrames</c> frames not yet tried flushes
/// early, so a batch never waits for more frames than that. The poll loop flushes at its defined points (after the
/// batch's ACKs, at the end of the turn), so no frame waits beyond the turn that made it.
/// <see cref="DeviceStats.SendCalls"/> counts every write or sendmmsg, retries included, against
/// <see cref="DeviceStats.FramesSent"/>.</para>
/// <para><b>Transient refusals</b> (EAGAIN, ENOBUFS, EINTR) leave the frame in the bounded FIFO
/// (<see cref="DeviceStats.SendsDeferred"/>, once per frame); <see cref="Flush"/> retries in order. While the FIFO holds
/// frames a new frame queues behind them, and a partial sendmmsg leaves exactly the frames after the last one sent at the
/// FIFO's head, so retries never reorder a flow and lose nothing. A full FIFO drops (<see cref="DeviceStats.SendsDropped"/>).
/// <b>Per-frame refusals</b> (EMSGSIZE, EINVAL) and a link that is down (ENETDOWN; EIO on a TAP) drop the frame and count it: the next
/// frame may well go. Anything else means the descriptor or interface is gone: <see cref="DeviceUnavailableException"/>.</para>
/// <para><b>With a virtio-net header</b> (<c>virtioNetHeader</c>: a packet socket with PACKET_VNET_HDR) every frame goes out
/// behind its <see cref="VirtioNetHeader"/>, through the FIFO (batched, even with <c>batchFrames</c> 1), and frames to be
/// segmented (<see cref="Send(ReadOnlySpan{byte}, int)"/>) take one of a few 64 KiB buffers of their own, so that the FIFO's
/// many MTU-sized buffers stay small: when those are all waiting, the FIFO is flushed first.</para>
/// <para><b>A TAP with IFF_VNET_HDR</b> (<c>zeroHeaderWrites</c>) takes a virtio-net header in front of every write(2): an
/// all-zero one (a complete frame, nothing to offload), sent from one static buffer by writev(2), so the frame is not copied.</para>
/// <para><b>Payloads by reference</b> (<see cref="Send(ReadOnlySpan{byte}, in SegmentPayload, int)"/>): a frame to be
/// segmented may come as its headers, copied into the buffer, and its payload left in the send buffer's chunks, pinned only
/// for the sendmmsg that takes the frame as one message of several iovecs; the kernel's copy into the socket buffer is the
/// only one (the copy into a frame and then into this FIFO took 27 % of the poll thread serving a file). A send buffer's chunk
/// may be handed back and rewritten once its bytes are acknowledged, so <see cref="SettlePayloads"/>, at the end of every
/// flush that handed one over, copies the payload of each frame still waiting into the frame's own buffer.</para>
/// </remarks>
internal sealed unsafe class FrameTransmitter
{
    private readonly int _fd;
    private readonly string _deviceName;
    private readonly DeviceCounters _stats;
    /// <summary>Buffers for frames to be segmented: a sendmmsg(2) carries at most this many (2 MiB of 64 KiB frames).</summary>
    private const int SegmentedBuffers = 32;

    private readonly FramePool _pool;
    private readonly FramePool? _segmentedPool;
    private readonly int _headerBytes;
    private readonly bool _zeroHeaderWrites;
    /// <summary>The all-zero virtio-net header written in front of each frame with <see cref="_zeroHeaderWrites"/>.</summary>
    private static readonly byte* ZeroHeader = (byte*)NativeMemory.AllocZeroed(VirtioNetHeader.Length);
    private readonly FrameBuffer[] _queued;
    private readonly int[] _queuedLengths;
    /// <summary>Per queued frame: the payload that follows its buffer's bytes by reference (empty: the buffer holds it all).</summary>
    private readonly SegmentPayload[] _queuedPayloads;
    private readonly int _batchFrames;
    // sendmmsg's arguments, pinned once (the poll thread fills them per call; nothing is allocated per frame).
    private readonly Libc.MultipleMessageHeader[] _messages;
    private readonly Libc.IoVector[] _vectors;
    private readonly Libc.IoVector* _firstVector; // _vectors is pinned
    /// <summary>The payload pieces pinned for the sendmmsg(2) in progress (a chunk may move between calls, not during one).</summary>
    private readonly MemoryHandle[] _pins;
    private int _head;
    private int _count;
    // Frames at the FIFO's tail not yet refused by the kernel: counted as deferred when a refusal leaves them waiting.
    private int _untried;
    // The transmitter this one replaced while it still held frames: they leave before any of this one's.
    private FrameTransmitter? _predecessor;

    /// <param name="queueCapacity">Frames kept for a retry or a batch; each gets a buffer of <paramref name="maxFrameBytes"/>.</param>
    /// <param name="batchFrames">Most frames per sendmmsg(2); 1 writes each frame at once with write(2).</param>
    /// <param name="maxSegmentedFrameBytes">With a virtio-net header, the largest frame to be segmented; 0 without.</param>
    /// <param name="zeroHeaderWrites">A TAP opened with IFF_VNET_HDR: each write(2) is an all-zero virtio-net header and the frame.</param>
    /// <param name="predecessor">A transmitter this one replaces (on another descriptor of the same interface): what it
    /// still holds after a flush goes out before this one's frames.</param>
    public FrameTransmitter(int fd, string deviceName, DeviceCounters stats, int queueCapacity, int maxFrameBytes, int batchFrames = 1,
                            bool virtioNetHeader = false, int maxSegmentedFrameBytes = 0, FrameTransmitter? predecessor = null,
                            bool zeroHeaderWrites = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queueCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchFrames);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchFrames, queueCapacity);
        _fd = fd;
        _deviceName = deviceName;
        _stats = stats;
        _headerBytes = virtioNetHeader ? VirtioNetHeader.Length : 0;
        _zeroHeaderWrites = zeroHeaderWrites;
        _pool = new FramePool(queueCapacity, _headerBytes + maxFrameBytes);
        if (virtioNetHeader && maxSegmentedFrameBytes > 0) _segmentedPool = new FramePool(SegmentedBuffers, _headerBytes + maxSegmentedFrameBytes);
        _queued = new FrameBuffer[queueCapacity];
        _queuedLengths = new int[queueCapacity];
        _queuedPayloads = new SegmentPayload[queueCapacity];
        _batchFrames = batchFrames;
        if (predecessor is not null) Follow(predecessor);
        _messages = GC.AllocateArray<Libc.MultipleMessageHeader>(batchFrames, pinned: true);
        // A frame is its buffer and, to be segmented, up to SegmentPayload.MaxPieces pieces of payload by reference.
        _vectors = GC.AllocateArray<Libc.IoVector>(batchFrames * (_segmentedPool is null ? 1 : 1 + SegmentPayload.MaxPieces), pinned: true);
        _firstVector = (Libc.IoVector*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_vectors));
        _pins = new MemoryHandle[_segmentedPool is null ? 0 : batchFrames * SegmentPayload.MaxPieces];
    }

    /// <summary>
    /// Takes over from <paramref name="predecessor"/> (on another descriptor of the same interface): what it still holds
    /// after a flush goes out before this one's frames. Allocates nothing, so a transmitter built ahead of time (on another
    /// thread) can take over on the poll thread in the middle of a transfer.
    /// </summary>
    public void Follow(FrameTransmitter predecessor)
    {
        predecessor.Flush();
        if (predecessor.Queued > 0) _predecessor = predecessor;
    }

    /// <summary>Frames waiting for a retry (or, batched, for the next <see cref="Flush"/>).</summary>
    public int Queued => _count + (_predecessor?.Queued ?? 0);

    /// <summary>Most frames per system call (1: write(2) per frame).</summary>
    public int BatchFrames => _batchFrames;

    /// <summary>Whether frames wait in the FIFO for <see cref="Flush"/> (sendmmsg) instead of going out one write(2) each.</summary>
    private bool Batched => _batchFrames > 1 || _headerBytes > 0;

    public bool Send(ReadOnlySpan<byte> frame) => Send(frame, 0);

    /// <summary>Sends or queues <paramref name="frame"/>; a <paramref name="segmentSize"/> above 0 (only with a virtio-net
    /// header) asks the kernel to cut the TCP/IPv4 frame into segments of that much payload.</summary>
    public bool Send(ReadOnlySpan<byte> frame, int segmentSize)
    {
        if (Batched) return SendBatched(frame, segmentSize, default);
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

    /// <summary>
    /// Queues a frame to be segmented made of <paramref name="headers"/> and <paramref name="payload"/>, whose bytes it
    /// refers to (not copies) until they are sent, or until <see cref="SettlePayloads"/> copies them for a frame that
    /// must wait. Only with a virtio-net header and frames to be segmented (<c>maxSegmentedFrameBytes</c>).
    /// </summary>
    public bool Send(ReadOnlySpan<byte> headers, in SegmentPayload payload, int segmentSize)
    {
        if (_segmentedPool is null || segmentSize <= 0) throw new InvalidOperationException("payloads by reference are for frames to be segmented, on a transmitter with a virtio-net header");
        return SendBatched(headers, segmentSize, in payload);
    }

    private bool SendBatched(ReadOnlySpan<byte> frame, int segmentSize, in SegmentPayload payload)
    {
        // Full, or no buffer left for a frame to be segmented: make room if the kernel takes anything.
        if (_count == _queued.Length || (segmentSize > 0 && _segmentedPool is { Available: 0 })) Flush();
        if (!Enqueue(frame, segmentSize, in payload)) return false;
        _untried++;
        if (_untried >= _batchFrames) Flush();
        return true;
    }

    /// <summary>
    /// Flushes, then copies the payload of every frame still waiting (the kernel refused for the moment) into the frame's
    /// own buffer: once this returns nothing here refers to a send buffer's bytes, which the next acknowledgment may hand
    /// back to the pool for another connection to overwrite.
    /// </summary>
    public void SettlePayloads()
    {
        Flush();
        for (int i = 0, slot = _head; i < _count; i++, slot = (slot + 1) % _queued.Length)
        {
            ref var payload = ref _queuedPayloads[slot];
            if (payload.Count == 0) continue;
            payload.CopyTo(_queued[slot].Span[_queuedLengths[slot]..]);
            _queuedLengths[slot] += payload.Length;
            payload.Clear();
        }
    }

    public void Flush()
    {
        if (Batched)
        {
            FlushBatches();
            return;
        }
        while (_count > 0)
        {
            var buffer = _queued[_head];
            var outcome = Attempt(buffer.Span[.._queuedLengths[_head]]);
            if (outcome == Outcome.Busy) return;
            Dequeue();
        }
    }

    private enum Outcome { Sent, Busy, Dropped }

    private Outcome Attempt(ReadOnlySpan<byte> frame)
    {
        _stats.SendCalls++;
        nint written;
        fixed (byte* bytes = frame)
        {
            if (_zeroHeaderWrites)
            {
                var vectors = stackalloc Libc.IoVector[2];
                vectors[0] = new Libc.IoVector { Base = ZeroHeader, Length = VirtioNetHeader.Length };
                vectors[1] = new Libc.IoVector { Base = bytes, Length = (nuint)frame.Length };
                written = Libc.WriteV(_fd, vectors, 2);
            }
            else
            {
                written = Libc.Write(_fd, bytes, (nuint)frame.Length);
            }
        }
        if (written >= 0)
        {
            _stats.FramesSent++;
            _stats.BytesSent += frame.Length;
            return Outcome.Sent;
        }
        return Refused(Libc.LastErrno);
    }

    /// <summary>What a refusal with <paramref name="errno"/> means for the frame (counted here), or a gone device (thrown).</summary>
    private Outcome Refused(int errno)
    {
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

    /// <summary>
    /// sendmmsg(2) from the FIFO's head, at most <see cref="_batchFrames"/> frames per call, until it is empty or the kernel
    /// refuses for the moment. The kernel takes a prefix of each call (it stops at the first frame it cannot send and
    /// reports that frame's error only when it sent none), so the frames after that prefix stay at the head, in order,
    /// and the next call starts with the refused frame itself to learn its error.
    /// </summary>
    private void FlushBatches()
    {
        if (_predecessor is not null)
        {
            _predecessor.Flush();
            if (_predecessor.Queued > 0) return;
            _predecessor = null;
        }
        while (_count > 0)
        {
            int frames = Math.Min(_count, _batchFrames);
            var vector = _firstVector;
            int pinned = 0;
            int sent;
            try
            {
                for (int i = 0, slot = _head; i < frames; i++, slot = (slot + 1) % _queued.Length)
                {
                    ref readonly var payload = ref _queuedPayloads[slot];
                    _messages[i].Vectors = vector;
                    _messages[i].VectorCount = (nuint)(1 + payload.Count);
                    vector->Base = _queued[slot].Pointer;
                    vector->Length = (nuint)_queuedLengths[slot];
                    vector++;
                    for (int piece = 0; piece < payload.Count; piece++, vector++)
                    {
                        _pins[pinned] = payload[piece].Pin();
                        vector->Base = _pins[pinned++].Pointer;
                        vector->Length = (nuint)payload[piece].Length;
                    }
                }
                _stats.SendCalls++;
                fixed (Libc.MultipleMessageHeader* messages = _messages) sent = Libc.SendMultipleMessages(_fd, messages, (uint)frames, 0);
            }
            finally
            {
                for (int i = 0; i < pinned; i++) _pins[i].Dispose();
            }
            if (sent > 0)
            {
                for (int i = 0; i < sent; i++)
                {
                    _stats.FramesSent++;
                    _stats.BytesSent += _queuedLengths[_head] - _headerBytes + _queuedPayloads[_head].Length;
                    if (_queued[_head].Pool == _segmentedPool) _stats.SegmentedFramesSent++;
                    Dequeue();
                }
                continue;
            }
            var outcome = Refused(Libc.LastErrno);
            if (outcome == Outcome.Busy)
            {
                _stats.SendsDeferred += Math.Min(_untried, _count);
                _untried = 0;
                return;
            }
            Dequeue(); // dropped for good, counted by Refused
        }
    }

    private bool Defer(ReadOnlySpan<byte> frame)
    {
        if (!Enqueue(frame, 0, default)) return false;
        _stats.SendsDeferred++;
        return true;
    }

    /// <summary>Copies <paramref name="frame"/> (behind its virtio-net header, if the socket takes one) to the FIFO's tail,
    /// followed by <paramref name="payload"/> by reference; false (counted as dropped) when it is full or the frame cannot
    /// fit a buffer (the payload included: it may have to be copied there to wait).</summary>
    private bool Enqueue(ReadOnlySpan<byte> frame, int segmentSize, in SegmentPayload payload)
    {
        var pool = segmentSize > 0 ? _segmentedPool : _pool;
        if (pool is null || _headerBytes + frame.Length + payload.Length > pool.BufferSize)
        {
            _stats.Oversize++;
            _stats.SendsDropped++;
            return false;
        }
        if (_count == _queued.Length || !pool.TryRent(out var buffer))
        {
            _stats.SendsDropped++;
            return false;
        }
        var span = buffer.Span;
        if (_headerBytes > 0) VirtioNetHeader.Write(span, frame, segmentSize);
        frame.CopyTo(span[_headerBytes..]);
        int tail = (_head + _count) % _queued.Length;
        _queued[tail] = buffer;
        _queuedLengths[tail] = _headerBytes + frame.Length;
        _queuedPayloads[tail] = payload;
        _count++;
        return true;
    }

    private void Dequeue()
    {
        _queued[_head].Pool!.Return(_queued[_head]);
        _queued[_head] = default;
        _queuedPayloads[_head].Clear();
        _head = (_head + 1) % _queued.Length;
        _count--;
        if (_untried > _count) _untried = _count;
    }
}
