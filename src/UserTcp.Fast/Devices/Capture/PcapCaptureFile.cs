using SharpPcap;
using SharpPcap.LibPcap;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Devices.Capture;

/// <summary>
/// Writes every frame it is shown to a pcap file Wireshark opens (SharpPcap's capture-file writer). Timestamps: wall-clock
/// time at start plus monotonic time since, so a capture never goes backwards; sent frames are stamped when shown.
/// </summary>
internal sealed class PcapCaptureFile : ICaptureSink, IDisposable
{
    private readonly CaptureFileWriterDevice _writer;
    private readonly long _epochMicroseconds;
    private readonly Instant _start = MonotonicClock.Now;

    /// <param name="wallClockAtStart">The wall-clock time now (the caller reads it: this library reads no wall clock).</param>
    public PcapCaptureFile(string path, DateTimeOffset wallClockAtStart)
    {
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

    public void OnReceived(ReadOnlySpan<byte> frame, Instant deliveredAt) => Write(frame, deliveredAt);

    public void OnSent(ReadOnlySpan<byte> frame) => Write(frame, MonotonicClock.Now);

    public void Dispose() => _writer.Dispose();

    private void Write(ReadOnlySpan<byte> frame, Instant at)
    {
        long micros = _epochMicroseconds + (at.Nanoseconds - _start.Nanoseconds) / 1000;
        var header = new PcapHeader((uint)(micros / 1_000_000), (uint)(micros % 1_000_000), (uint)frame.Length, (uint)frame.Length);
        _writer.Write(frame, ref header);
    }
}
