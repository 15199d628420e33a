using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices;

/// <summary>Counters every device keeps. Plain fields: only the poll-loop thread writes them.</summary>
public sealed class DeviceStats
{
    public long FramesReceived;
    public long BytesReceived;
    public long FramesSent;
    public long BytesSent;
    /// <summary>Sends the device could not take at once (EAGAIN/ENOBUFS); the frame stays queued for a retry.</summary>
    public long SendsDeferred;
    /// <summary>Frames given up on after the retry queue was full.</summary>
    public long SendsDropped;
    /// <summary>Frames the kernel dropped before we read them (pcap's ps_drop), as last reported.</summary>
    public long KernelDrops;
    /// <summary>Frames larger than the device buffer, cut or refused.</summary>
    public long Oversize;
    /// <summary>System calls made to receive and to send (to report syscalls per frame).</summary>
    public long ReceiveCalls;
    public long SendCalls;
}
