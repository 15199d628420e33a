using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.Simulated;

/// <summary>
/// One side of a <see cref="SimulatedLink"/> as a device, on virtual time: a driver sets <see cref="Now"/> (the
/// simulation's clock) before each poll-loop turn. Lets the full stack (interface, ARP, TCP, poll loop) run over
/// seeded faults deterministically.
/// </summary>
internal sealed class SimulatedLinkDevice(SimulatedLink link, LinkSide side, MacAddress macAddress, string name = "sim0") : INetworkDevice
{
    private readonly DeviceCounters _counters = new();

    public string Name => name;
    public LinkSide Side => side;
    public MacAddress MacAddress => macAddress;
    public int Mtu => link.ProfileFrom(side).Mtu;
    public bool IsHostLocal => false;
    public DeviceStats Stats => _counters.Snapshot();
    /// <summary>The virtual time sends are stamped with and deliveries are due by.</summary>
    public Instant Now { get; set; }
    /// <summary>When the next frame for this side arrives (virtual time).</summary>
    public Instant NextArrival => link.NextDelivery(side);

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        int frames = link.Deliver(side, Now, ref handler, maxFrames);
        _counters.FramesReceived += frames;
        _counters.ReceiveCalls++;
        return frames;
    }

    public bool Send(ReadOnlySpan<byte> frame)
    {
        link.Send(side, frame, Now);
        _counters.FramesSent++;
        _counters.BytesSent += frame.Length;
        _counters.SendCalls++;
        return true;
    }

    public void Flush() { }

    /// <summary>Virtual time does not pass by waiting: the driver moves <see cref="Now"/>. True when a frame is due.</summary>
    public bool WaitForFrames(TimeSpan timeout) => link.NextDelivery(side) <= Now;

    public int ReadinessDescriptor => -1;

    public void Dispose() { }
}
