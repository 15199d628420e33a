using System.Net.Sockets;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Native;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Runtime;

/// <summary>
/// A device that sends into a connected Unix datagram socket through the live devices' <see cref="FrameTransmitter"/> and
/// never receives: while nobody reads the peer, its sends fill the socket and are refused with EAGAIN, and the
/// descriptor turns writable once the peer is read, as a packet socket's does. Its <see cref="FrameWaiting"/> hint is what the
/// test sets. Hermetic: no interface, no root.
/// </summary>
internal sealed class DatagramSocketDevice : INetworkDevice, ISendBacklog, IFrameWaitingHint
{
    private readonly Socket _socket;
    private readonly FrameTransmitter _transmitter;
    private readonly DeviceCounters _counters = new();

    /// <param name="peerPath">The bound socket it sends to.</param>
    public DatagramSocketDevice(string peerPath)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _socket.Connect(new UnixDomainSocketEndPoint(peerPath));
        int fd = (int)_socket.Handle;
        Libc.MakeNonBlocking(fd, Name);
        _transmitter = new FrameTransmitter(fd, Name, _counters, queueCapacity: 16, maxFrameBytes: 1518);
    }

    public string Name => "dgram";
    public MacAddress MacAddress { get; } = MacAddress.Parse("02:00:00:00:00:0a");
    public int Mtu => 1500;
    public bool IsHostLocal => true;
    public DeviceStats Stats => _counters.Snapshot();
    public int SendsWaiting => _transmitter.Queued;
    public bool FrameWaiting { get; set; }
    public int ReadinessDescriptor => (int)_socket.Handle;

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver => 0;
    public bool Send(ReadOnlySpan<byte> frame) => _transmitter.Send(frame);
    public void Flush() => _transmitter.Flush();
    public bool WaitForFrames(TimeSpan timeout) => ReadinessWait.WaitReadable(ReadinessDescriptor, timeout, Name);
    public void Dispose() => _socket.Dispose();
}
