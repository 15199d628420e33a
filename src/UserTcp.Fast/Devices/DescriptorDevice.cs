namespace UserTcp.Fast.Devices;

/// <summary>
/// What the live devices share: one file descriptor (libpcap's packet socket, a TAP) that tells when frames wait to be
/// read and that frames go out through, via a <see cref="FrameTransmitter"/> (on pcap with segmentation offload, a send
/// socket of the device's own instead), and the device's counters. Each kind
/// receives its own way. Public only because <see cref="Pcap.PcapDevice"/> and <see cref="Tap.TapDevice"/> derive from
/// it; no other assembly can (the constructor is private protected).
/// </summary>
public abstract class DescriptorDevice : IDisposable, ISendBacklog
{
    private protected DescriptorDevice()
    {
    }

    /// <summary>Ethernet header plus one VLAN tag.</summary>
    private protected const int LinkHeaderAllowance = 18;

    /// <summary>Set by the device's constructor, before anything can use it.</summary>
    private protected int Descriptor;
    private protected FrameTransmitter Transmitter = null!;
    private protected bool IsDisposed;
    /// <summary>Written by the poll-loop thread only (receive here, send in the transmitter).</summary>
    private protected readonly DeviceCounters Counters = new();

    public abstract string Name { get; }
    public DeviceStats Stats => Counters.Snapshot();

    public bool Send(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return Transmitter.Send(frame);
    }

    public void Flush()
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        Transmitter.Flush();
    }

    public int ReadinessDescriptor => Descriptor;

    int ISendBacklog.SendsWaiting => Transmitter.Queued;

    public bool WaitForFrames(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return Native.ReadinessWait.WaitReadable(Descriptor, timeout, Name);
    }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Close();
    }

    /// <summary>Releases the descriptor, once.</summary>
    private protected abstract void Close();
}
