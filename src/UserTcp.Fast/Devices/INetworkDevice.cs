using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices;

/// <summary>
/// A link-layer device the poll loop owns: receive a batch of Ethernet frames, send frames, flush, and wait for
/// the next frame without spinning. One thread uses it (the poll loop); nothing here takes a lock.
/// </summary>
public interface INetworkDevice : IDisposable
{
    string Name { get; }
    /// <summary>The hardware address the stack uses as its own on this link.</summary>
    MacAddress MacAddress { get; }
    /// <summary>IP MTU of the link (1500 on Ethernet).</summary>
    int Mtu { get; }
    /// <summary>
    /// True when the peer may be this same host (veth, TAP): its kernel then leaves TCP/UDP checksums partial under
    /// offload, and segmentation offload can deliver frames far above the MTU. False for a physical NIC.
    /// </summary>
    bool IsHostLocal { get; }
    /// <summary>The device's counters now, as a copy (see <see cref="DeviceStats"/> for what a reader on another thread gets).</summary>
    DeviceStats Stats { get; }

    /// <summary>Hands every frame ready now (at most <paramref name="maxFrames"/>) to <paramref name="handler"/>, never
    /// blocking; returns the number handed over.</summary>
    int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver;

    /// <summary>Sends (or queues) one frame; false when it could not even be queued (counted as dropped).</summary>
    bool Send(ReadOnlySpan<byte> frame);

    /// <summary>Pushes out anything queued (retries of deferred sends, batched writes).</summary>
    void Flush();

    /// <summary>Blocks until a frame may be ready or <paramref name="timeout"/> passes (poll(2) on the device's file
    /// descriptor); returns true when it is readable.</summary>
    bool WaitForFrames(TimeSpan timeout);

    /// <summary>The descriptor that becomes readable when a frame arrives, for a poll loop that also waits on other
    /// descriptors (an application's wake-up); -1 when the device has none (a simulated link).</summary>
    int ReadinessDescriptor { get; }
}
