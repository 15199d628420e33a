using UserTcp.Fast.Devices;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Dns;

/// <summary>
/// A device whose far end is a few hosts (full interface layers) run inside <see cref="Send"/> and <see cref="Receive"/>,
/// so everything, the peers included, runs on the stack's poll thread on the monotonic clock: the public API's async
/// methods can be tested over it without a second thread touching anything.
/// </summary>
internal sealed class InProcessPeerDevice : INetworkDevice, IFrameOutput
{
    private readonly DeviceCounters _counters = new();
    private readonly Queue<byte[]> _toStack = new();
    private readonly List<NetworkInterface> _peers = new();

    public string Name => "inproc0";
    public MacAddress MacAddress { get; } = DnsTestNetwork.ClientMac;
    public int Mtu => 1500;
    public bool IsHostLocal => false;
    public DeviceStats Stats => _counters.Snapshot();
    public int ReadinessDescriptor => -1;

    /// <summary>Adds a host on the far side; its frames reach the stack through this device. Before the stack starts.</summary>
    public void Add(NetworkInterface peer) => _peers.Add(peer);

    /// <summary>Runs on the stack's poll thread at every receive, before the peers' timers and flush (a peer's application).</summary>
    public Action? OnPoll { get; set; }

    /// <summary>What the peers transmit: queued for the stack's next receive.</summary>
    public void Transmit(ReadOnlySpan<byte> frame) => _toStack.Enqueue(frame.ToArray());

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        var now = MonotonicClock.Now;
        OnPoll?.Invoke();
        foreach (var peer in _peers)
        {
            if (peer.NextDeadline <= now) peer.OnTimers(now);
            peer.Flush(now);
        }
        int frames = 0;
        while (frames < maxFrames && _toStack.TryDequeue(out var frame))
        {
            handler.OnFrame(frame, now);
            frames++;
        }
        _counters.FramesReceived += frames;
        return frames;
    }

    public bool Send(ReadOnlySpan<byte> frame)
    {
        var now = MonotonicClock.Now;
        _counters.FramesSent++;
        foreach (var peer in _peers) peer.OnFrame(frame, now);
        foreach (var peer in _peers) peer.Flush(now);
        return true;
    }

    public void Flush() { }

    public bool WaitForFrames(TimeSpan timeout)
    {
        if (_toStack.Count == 0) Thread.Sleep(TimeSpan.FromMilliseconds(1));
        return _toStack.Count > 0;
    }

    public void Dispose() { }
}
