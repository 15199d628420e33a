using UserTcp.Fast.Devices;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Benchmarks.Loop;

/// <summary>
/// A device that plays the server's side of a <see cref="RecordedConnection"/> into the poll loop: frames queued with
/// <see cref="Enqueue"/>, or one pass over the recorded data frames per <see cref="StartPass"/>. From the second pass on,
/// each data frame's sequence number moves on by the bytes of a pass as it is handed over (4 bytes and an incremental
/// checksum update, standing in for the NIC writing a fresh frame), so every pass is new, in-order data for the same
/// connection. What the stack sends is counted and dropped.
/// </summary>
internal sealed class ReplayDevice(MacAddress macAddress, RecordedConnection recording) : INetworkDevice
{
    private readonly DeviceCounters _counters = new();
    private readonly byte[][] _data = recording.Data.ToArray();
    private readonly int _passBytes = recording.DataBytes;
    private byte[]? _queued;
    private int _next, _passes;

    public string Name => "replay";
    public MacAddress MacAddress => macAddress;
    public int Mtu => 1500;
    public bool IsHostLocal => false;
    public DeviceStats Stats => _counters.Snapshot();
    /// <summary>The time frames are stamped with (the benchmark's virtual clock).</summary>
    public Instant Now { get; set; }
    public bool PassDone => _next == _data.Length;

    public void Enqueue(byte[] frame) => _queued = frame;

    public void StartPass()
    {
        _passes++;
        _next = 0;
    }

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        _counters.ReceiveCalls++;
        int handed = 0;
        if (_queued is { } single)
        {
            _queued = null;
            handler.OnFrame(single, Now);
            handed++;
        }
        for (; handed < maxFrames && _passes > 0 && _next < _data.Length; handed++)
        {
            var frame = _data[_next++];
            if (_passes > 1) RecordedConnection.AdvanceSequence(frame, _passBytes);
            handler.OnFrame(frame, Now);
        }
        _counters.FramesReceived += handed;
        return handed;
    }

    public bool Send(ReadOnlySpan<byte> frame)
    {
        _counters.FramesSent++;
        _counters.BytesSent += frame.Length;
        return true;
    }

    public void Flush() { }
    public bool WaitForFrames(TimeSpan timeout) => _queued is not null || (_passes > 0 && !PassDone);
    public int ReadinessDescriptor => -1;
    public void Dispose() { }
}
