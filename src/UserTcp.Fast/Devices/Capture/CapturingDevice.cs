using SharpPcap;
using SharpPcap.LibPcap;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.Capture;

/// <summary>
/// Wraps a device and writes every frame received and sent to a pcap file Wireshark opens (SharpPcap's capture-file
/// writer). Timestamps: wall-clock time at start plus monotonic time since, so a capture never goes backwards.
/// </summary>
public sealed class CapturingDevice : INetworkDevice
{
    private readonly INetworkDevice _inner;
    private readonly CaptureFileWriterDevice _writer;
    private readonly long _epochMicroseconds;
    private readonly Instant _start = MonotonicClock.Now;

    /// <param name="wallClockAtStart">The wall-clock time now (the caller reads it: this library reads no wall clock).</param>
    public CapturingDevice(INetworkDevice inner, string path, DateTimeOffset wallClockAtStart)
    {
        _inner = inner;
        _epochMicroseconds = wallClockAtStart.ToUnixTimeMilliseconds() * 1000;
        try
        {
            _writer = new CaptureFileWriterDevice(path, FileMode.Create);
            _writer.Open(new DeviceConfiguration { LinkLayerType = PacketDotNet.LinkLayers.Ethernet, Snaplen = 262144 });
        }
        catch (Exception e) when (e is PcapException or IOException or UnauthorizedAccessException or DllNotFoundException)
        {
            throw new DeviceUnavailableException(DeviceUnavailableReason.OpenFailed, $"cannot write the capture file {path}: {e.Message}", e);
        }
    }

    public string Name => _inner.Name;
    public MacAddress MacAddress => _inner.MacAddress;
    public int Mtu => _inner.Mtu;
    public bool IsHostLocal => _inner.IsHostLocal;
    public DeviceStats Stats => _inner.Stats;
    public long FramesWritten { get; private set; }

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        var tee = new Tee<THandler>(this, handler);
        int frames = _inner.Receive(ref tee, maxFrames);
        handler = tee.Inner;
        return frames;
    }

    public bool Send(ReadOnlySpan<byte> frame)
    {
        Write(frame, MonotonicClock.Now);
        return _inner.Send(frame);
    }

    public void Flush() => _inner.Flush();
    public bool WaitForFrames(TimeSpan timeout) => _inner.WaitForFrames(timeout);
    public int ReadinessDescriptor => _inner.ReadinessDescriptor;

    public void Dispose()
    {
        _writer.Dispose();
        _inner.Dispose();
    }

    private void Write(ReadOnlySpan<byte> frame, Instant at)
    {
        long micros = _epochMicroseconds + (at.Nanoseconds - _start.Nanoseconds) / 1000;
        var header = new PcapHeader((uint)(micros / 1_000_000), (uint)(micros % 1_000_000), (uint)frame.Length, (uint)frame.Length);
        _writer.Write(frame, ref header);
        FramesWritten++;
    }

    private struct Tee<THandler>(CapturingDevice owner, THandler inner) : IFrameReceiver where THandler : struct, IFrameReceiver
    {
        public THandler Inner = inner;

        public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt)
        {
            owner.Write(frame, deliveredAt);
            Inner.OnFrame(frame, deliveredAt);
        }
    }
}
