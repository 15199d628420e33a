using System.Runtime.InteropServices;
using UserTcp.Fast.Native;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// <see cref="PcapReceivePath.Socket"/>: a packet socket of the device's own, no ring, read with recvmmsg(2) into a batch of
/// pinned buffers, each frame stamped by the kernel (SO_TIMESTAMPNS).
/// </summary>
/// <remarks>
/// <para><b>Why.</b> libpcap's ring costs the kernel an RCU grace period to set up (synchronize_net in packet_set_ring) and
/// two to tear down (packet_release frees the ring through packet_set_ring, then waits once more), 8-10 ms each on this
/// lab's VM: most of what a short command such as a 64 KiB download waits for beyond its own work. A socket without a ring,
/// created with protocol 0 and bound once (<see cref="PacketSocket"/>), costs one, at close.</para>
/// <para><b>Opening.</b> The filter (libpcap's language, <see cref="PcapDevice.Filter"/>) is compiled by libpcap on a dead
/// Ethernet handle of the device's snapshot length and attached (SO_ATTACH_FILTER) before the bind, so no frame is queued
/// unfiltered. The receive buffer (SO_RCVBUFFORCE, SO_RCVBUF when not permitted) bounds the kernel memory of frames
/// waiting to be read: skb truesize, about 2-4.5 KiB per MTU-sized frame; frames beyond it are dropped by the kernel and
/// counted (PACKET_STATISTICS, <see cref="DeviceStats.KernelDrops"/>).</para>
/// <para><b>Receive.</b> Batches of at most <see cref="MaxBatchFrames"/> frames per recvmmsg(2), MSG_DONTWAIT, until a call
/// returns fewer than it asked for or the caller's bound is reached: one system call per batch plus one that finds the
/// socket empty. A frame longer than its buffer (the interface's largest frame at open) arrives cut (MSG_TRUNC) and is
/// counted in <see cref="DeviceStats.Oversize"/>, not delivered.</para>
/// </remarks>
internal sealed unsafe class PacketSocketReceiver : IDisposable
{
    /// <summary>Most frames per recvmmsg(2), and at most <see cref="BatchBytes"/> of buffers: 32 at MTU 1500 (48 KiB), 8 for
    /// 64 KiB frames (offloads on: 512 KiB).</summary>
    public const int MaxBatchFrames = 32;
    private const int MinBatchFrames = 8;
    private const int BatchBytes = 512 << 10;
    /// <summary>CMSG_SPACE(sizeof(struct timespec)): one SCM_TIMESTAMPNS.</summary>
    private const int ControlBytes = 32;

    private readonly int _socket;
    private readonly string _name;
    private readonly DeviceCounters _counters;
    /// <summary>The batch's frame buffers, native memory (malloc maps a block this large on its own, so <see cref="Dispose"/>
    /// gives it back to the kernel at once: it counted 2 MiB in the peak RSS of a download that moved to the ring).</summary>
    private byte* _frames;
    private readonly int _batchFrames;
    private readonly byte[] _control;
    private readonly Libc.MultipleMessageHeader[] _messages;
    private readonly Libc.IoVector[] _vectors;
    private Time.Instant _kernelStatsDueAt;
    private long _latestStamp;

    private PacketSocketReceiver(int socket, string name, DeviceCounters counters, int frameBytes)
    {
        _socket = socket;
        _name = name;
        _counters = counters;
        _batchFrames = Math.Clamp(BatchBytes / frameBytes, MinBatchFrames, MaxBatchFrames);
        _frames = (byte*)NativeMemory.Alloc((nuint)_batchFrames * (nuint)frameBytes);
        _control = GC.AllocateArray<byte>(_batchFrames * ControlBytes, pinned: true);
        _messages = GC.AllocateArray<Libc.MultipleMessageHeader>(_batchFrames, pinned: true);
        _vectors = GC.AllocateArray<Libc.IoVector>(_batchFrames, pinned: true);
        byte* frames = _frames;
        fixed (byte* control = _control)
        fixed (Libc.IoVector* vectors = _vectors)
        {
            for (int i = 0; i < _batchFrames; i++)
            {
                vectors[i].Base = frames + (long)i * frameBytes;
                vectors[i].Length = (nuint)frameBytes;
                _messages[i].Vectors = vectors + i;
                _messages[i].VectorCount = 1;
                _messages[i].Control = control + i * ControlBytes;
            }
        }
    }

    /// <summary>The socket, non-blocking: the device's descriptor for readiness and sends too.</summary>
    public int Socket => _socket;

    /// <summary>
    /// The socket's receive buffer for a receive window of <paramref name="windowBytes"/>: four windows, as SO_RCVBUF's value
    /// (the kernel then allows eight in skb truesize). A window of MTU-sized frames takes two to three times its bytes in
    /// truesize (2-4.5 KiB per 1,514-byte frame), 64 KiB GRO frames about one; the rest is room for frames that carry no
    /// data and for the window the peer may still have in flight when the stack acknowledges. Kernel memory, charged only
    /// while frames wait.
    /// </summary>
    public static int BufferBytesFor(int windowBytes) => (int)Math.Min(int.MaxValue / 2, 4L * windowBytes);

    /// <summary>Opens, filters and binds the socket (see the remarks).</summary>
    /// <param name="frameBytes">The largest frame to take whole.</param>
    /// <param name="receiveBufferBytes">SO_RCVBUF's value (the kernel allows twice it for skb overhead).</param>
    public static PacketSocketReceiver Open(string interfaceName, string filter, int snapshotLength, int frameBytes, int receiveBufferBytes, DeviceCounters counters)
    {
        int socket = PacketSocket.Open(interfaceName, "capture socket");
        try
        {
            AttachFilter(socket, interfaceName, filter, snapshotLength);
            if (Libc.SetSocketOption(socket, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, &receiveBufferBytes, sizeof(int)) != 0)
                PacketSocket.SetOption(socket, Libc.SOL_SOCKET, Libc.SO_RCVBUF, receiveBufferBytes, interfaceName, "SO_RCVBUF");
            PacketSocket.SetOption(socket, Libc.SOL_SOCKET, Libc.SO_TIMESTAMPNS, 1, interfaceName, "SO_TIMESTAMPNS");
            PacketSocket.Bind(socket, interfaceName, Libc.EthernetProtocolAll);
            return new PacketSocketReceiver(socket, interfaceName, counters, frameBytes);
        }
        catch
        {
            Libc.Close(socket);
            throw;
        }
    }

    private static void AttachFilter(int socket, string interfaceName, string filter, int snapshotLength)
    {
        nint compiler = LibPcap.OpenDead(LibPcap.LinkTypeEthernet, snapshotLength);
        if (compiler == 0) throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{interfaceName}: pcap_open_dead failed");
        try
        {
            LibPcap.BpfProgram program;
            if (LibPcap.Compile(compiler, &program, filter, optimize: 1, netmask: 0) != 0)
                throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"{interfaceName}: filter \"{filter}\": {LibPcap.LastErrorText(compiler)}");
            try
            {
                Attach(socket, interfaceName, &program, DeviceUnavailableReason.OpenFailed);
            }
            finally
            {
                LibPcap.FreeCode(&program);
            }
        }
        catch (Exception e) when (LibPcap.IsMissing(e))
        {
            throw LibPcap.Missing(e);
        }
        finally
        {
            LibPcap.Close(compiler);
        }
    }

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        int delivered = 0;
        fixed (Libc.MultipleMessageHeader* messages = _messages)
        {
            while (delivered < maxFrames)
            {
                int asked = Math.Min(_batchFrames, maxFrames - delivered);
                for (int i = 0; i < asked; i++)
                {
                    messages[i].ControlLength = ControlBytes;
                    messages[i].Flags = 0;
                }
                _counters.ReceiveCalls++;
                int received = Libc.ReceiveMultipleMessages(_socket, messages, (uint)asked, Libc.MSG_DONTWAIT, null);
                if (received < 0)
                {
                    int errno = Libc.LastErrno;
                    if (errno == Libc.EAGAIN) break;
                    if (errno == Libc.EINTR) continue;
                    throw new DeviceUnavailableException(DeviceUnavailableReason.InterfaceGone, $"{_name}: receive failed: {Libc.Describe(errno)}");
                }
                // Read after the call: every frame of the batch was stamped before it, so no age is negative.
                var clock = CaptureClock.Read();
                for (int i = 0; i < received; i++)
                {
                    ref var message = ref messages[i];
                    if ((message.Flags & Libc.MSG_TRUNC) != 0)
                    {
                        _counters.Oversize++;
                        continue;
                    }
                    int length = (int)message.Bytes;
                    _counters.FramesReceived++;
                    _counters.BytesReceived += length;
                    delivered++;
                    handler.OnFrame(new ReadOnlySpan<byte>(message.Vectors->Base, length), ArrivalOf(ref message, clock, ref _latestStamp));
                }
                if (received < asked) break;
            }
        }
        var now = Time.MonotonicClock.Now;
        if (now >= _kernelStatsDueAt) RefreshKernelStats(now);
        return delivered;
    }

    /// <summary>The kernel's stamp (SCM_TIMESTAMPNS, the only control message asked for), the latest kept in
    /// <paramref name="latestStamp"/>, or the batch's reading without one.</summary>
    private static Time.Instant ArrivalOf(ref Libc.MultipleMessageHeader message, CaptureClock clock, ref long latestStamp)
    {
        var header = (Libc.ControlMessageHeader*)message.Control;
        if (message.ControlLength < ControlBytes || header->Level != Libc.SOL_SOCKET || header->Type != Libc.SCM_TIMESTAMPNS)
            return clock.MonotonicNow;
        var stamp = (Libc.TimeSpec*)(header + 1);
        long nanoseconds = stamp->Seconds * 1_000_000_000 + stamp->Nanoseconds;
        if (nanoseconds > latestStamp) latestStamp = nanoseconds;
        return clock.ArrivalOf(nanoseconds);
    }

    /// <summary>The latest kernel stamp (CLOCK_REALTIME, ns) of the frames delivered (the latest, not the last: two cores stamp
    /// frames, so queue order and stamp order can differ by a little); the ring stamps the same frame alike (both read
    /// skb->tstamp), which is how <see cref="PcapDevice"/> tells the frames both received apart.</summary>
    public long LatestStamp => _latestStamp;

    /// <summary>
    /// Replaces the filter with one that keeps nothing (a single BPF "ret #0"; SO_ATTACH_FILTER swaps it in at once, the old
    /// one freed after an RCU grace period without waiting for it): frames already queued can still be read, no new one is
    /// queued.
    /// </summary>
    public void StopReceiving()
    {
        // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }: BPF_RET | BPF_K (0x06) with k = 0, keep 0 bytes.
        ulong rejectAll = 0x06;
        var program = new LibPcap.BpfProgram { InstructionCount = 1, Instructions = &rejectAll };
        Attach(_socket, _name, &program, DeviceUnavailableReason.InterfaceGone);
    }

    /// <summary>SO_ATTACH_FILTER (struct sock_fprog: an unsigned short count, then the instructions' address, the layout of
    /// libpcap's struct bpf_program), or a <see cref="DeviceUnavailableException"/> of <paramref name="reason"/>.</summary>
    private static void Attach(int socket, string interfaceName, LibPcap.BpfProgram* program, DeviceUnavailableReason reason)
    {
        if (Libc.SetSocketOption(socket, Libc.SOL_SOCKET, Libc.SO_ATTACH_FILTER, program, (uint)sizeof(LibPcap.BpfProgram)) != 0)
            throw new DeviceUnavailableException(reason, $"{interfaceName}: SO_ATTACH_FILTER refused: {Libc.Describe(Libc.LastErrno)}");
    }

    /// <summary>Frees the frame buffers (the socket is the device's to close); receiving afterwards is a bug.</summary>
    public void Dispose()
    {
        NativeMemory.Free(_frames);
        _frames = null;
    }

    /// <summary>PACKET_STATISTICS: drops since the last read (the kernel clears them), at most every 100 ms.</summary>
    private void RefreshKernelStats(Time.Instant now)
    {
        // struct tpacket_stats: packets, drops.
        uint* statistics = stackalloc uint[2];
        uint length = 2 * sizeof(uint);
        if (Libc.GetSocketOption(_socket, Libc.SOL_PACKET, Libc.PACKET_STATISTICS, statistics, &length) == 0)
            _counters.KernelDrops += statistics[1];
        _kernelStatsDueAt = now + PcapDevice.KernelStatsInterval;
    }
}
