using System.Runtime.CompilerServices;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.Capture;

/// <summary>
/// Wraps a device and shows every frame received and sent to an <see cref="ICaptureSink"/> (a pcap file for
/// <c>--pcap</c>, a simulation's frame tap), then passes it on unchanged. Allocates nothing per frame.
/// </summary>
public sealed class CapturingDevice : INetworkDevice, ISendBacklog, ISegmentationOffload, IFrameWaitingHint
{
    private readonly INetworkDevice _inner;
    private readonly ICaptureSink _sink;

    /// <summary>Writes every frame to the pcap file <paramref name="path"/> (see <see cref="PcapCaptureFile"/>).</summary>
    /// <param name="wallClockAtStart">The wall-clock time now (the caller reads it: this library reads no wall clock).</param>
    public CapturingDevice(INetworkDevice inner, string path, DateTimeOffset wallClockAtStart)
        : this(inner, new PcapCaptureFile(path, wallClockAtStart))
    {
    }

    /// <summary>Shows every frame to <paramref name="sink"/>, which the device disposes with itself if it is disposable.</summary>
    internal CapturingDevice(INetworkDevice inner, ICaptureSink sink)
    {
        _inner = inner;
        _sink = sink;
    }

    public string Name => _inner.Name;
    public MacAddress MacAddress => _inner.MacAddress;
    public int Mtu => _inner.Mtu;
    public bool IsHostLocal => _inner.IsHostLocal;
    public DeviceStats Stats => _inner.Stats;
    /// <summary>Frames shown to the sink (written to the capture file), received and sent.</summary>
    public long FramesWritten { get; private set; }

    public unsafe int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        // The inner device is called with one non-generic handler: a Tee<THandler> would be a new instantiation for every
        // level of wrapping (the inner device could itself be a CapturingDevice), which Native AOT rejects as generic
        // recursion (IL3054). The caller's handler is copied to this frame's stack, which does not move, and copied back.
        var handlerCopy = handler;
        var tee = new Tee(this, Unsafe.AsPointer(ref handlerCopy), &DeliverTo<THandler>);
        int frames = _inner.Receive(ref tee, maxFrames);
        handler = handlerCopy;
        return frames;
    }

    public bool Send(ReadOnlySpan<byte> frame)
    {
        _sink.OnSent(frame);
        FramesWritten++;
        return _inner.Send(frame);
    }

    int ISegmentationOffload.MaxSegmentedFrameBytes => (_inner as ISegmentationOffload)?.MaxSegmentedFrameBytes ?? 0;

    /// <summary>The sink sees the frame as handed to the kernel, before segmentation (as tcpdump on the sending host shows it).</summary>
    bool ISegmentationOffload.SendSegmented(ReadOnlySpan<byte> frame, int segmentSize)
    {
        _sink.OnSent(frame);
        FramesWritten++;
        return ((ISegmentationOffload)_inner).SendSegmented(frame, segmentSize);
    }

    /// <summary>False: the sink records whole frames, so payloads come copied into them.</summary>
    bool ISegmentationOffload.TakesPayloadByReference => false;

    bool ISegmentationOffload.SendSegmented(ReadOnlySpan<byte> headers, in SegmentPayload payload, int segmentSize) =>
        throw new NotSupportedException("a capturing device takes whole frames (TakesPayloadByReference is false)");

    void ISegmentationOffload.SettlePayloads() { }

    public void Flush() => _inner.Flush();
    public bool WaitForFrames(TimeSpan timeout) => _inner.WaitForFrames(timeout);
    public int ReadinessDescriptor => _inner.ReadinessDescriptor;
    int ISendBacklog.SendsWaiting => _inner is ISendBacklog backlog ? backlog.SendsWaiting : 0;
    bool IFrameWaitingHint.FrameWaiting => _inner is IFrameWaitingHint hint && hint.FrameWaiting;

    public void Dispose()
    {
        (_sink as IDisposable)?.Dispose();
        _inner.Dispose();
    }

    private static unsafe void DeliverTo<THandler>(void* handler, ReadOnlySpan<byte> frame, Instant deliveredAt) where THandler : struct, IFrameReceiver =>
        Unsafe.AsRef<THandler>(handler).OnFrame(frame, deliveredAt);

    private readonly unsafe struct Tee(CapturingDevice owner, void* handler, delegate*<void*, ReadOnlySpan<byte>, Instant, void> deliver) : IFrameReceiver
    {
        public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt)
        {
            owner._sink.OnReceived(frame, deliveredAt);
            owner.FramesWritten++;
            deliver(handler, frame, deliveredAt);
        }
    }
}
