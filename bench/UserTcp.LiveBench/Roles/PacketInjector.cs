using SharpPcap;
using SharpPcap.LibPcap;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;

namespace UserTcp.LiveBench.Roles;

/// <summary>
/// The event server's injector: a libpcap handle on the server's veth (server namespace, immediate mode) that follows each
/// connection of one port from the frames passing in both directions (the server's SND.NXT and latest TSval, the client's
/// next sequence number, latest TSval and ACK) and injects single crafted frames into it, built with the project's wire
/// layer from the server's latest frame (MACs, addresses, window), checksums computed. The injected frame carries the
/// server's latest TSval, so PAWS accepts it, and a marker IP ID by which the observer finds it in its capture.
/// </summary>
internal sealed class PacketInjector : IDisposable
{
    private const int FirstMarker = 0xA000;
    private readonly LibPcapLiveDevice _device;
    private readonly Ipv4Address _server;
    private readonly ushort _port;
    private readonly Lock _gate = new();
    private readonly Dictionary<(Ipv4Address, ushort), View> _views = new();
    /// <summary>The frames this injector sent, by marker: a frame is its own only when it is one of these byte for byte. The
    /// server numbers a connection's IP IDs from a random start, so its own frames carry marker values too (one in 65,536
    /// per marker sent): skipped by the marker alone, such a frame left SND.NXT behind the client's ACK, and the connection
    /// never went quiet.</summary>
    private readonly Dictionary<ushort, byte[]> _injected = [];
    private int _nextMarker = FirstMarker;

    /// <summary>What the frames of one connection said so far; the injector's own frames do not count.</summary>
    public sealed record View(byte[] ServerFrame, SeqNum ServerNext, uint ServerTsval, SeqNum ClientNext, uint ClientTsval, SeqNum ClientAck, bool ClientAcked);

    public PacketInjector(string interfaceName, Ipv4Address server, ushort port)
    {
        _server = server;
        _port = port;
        _device = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == interfaceName)
                  ?? throw new BenchException($"{interfaceName}: libpcap does not list this interface");
        _device.Open(new DeviceConfiguration { Mode = DeviceModes.None, Immediate = true, ReadTimeout = 100 });
        _device.Filter = $"tcp port {port}";
        _device.OnPacketArrival += (_, capture) => Observe(capture.Data);
        _device.StartCapture();
    }

    private void Observe(ReadOnlySpan<byte> frame)
    {
        if (EthernetFrame.TryParse(frame, out var ethernet) != WireStatus.Ok || ethernet.EtherType != EtherType.Ipv4
            || Ipv4Packet.TryParse(ethernet.Payload, out var ip) != WireStatus.Ok || ip.Protocol != IpProtocol.Tcp
            || TcpSegment.TryParse(ip.Payload, out var tcp) != WireStatus.Ok)
            return;
        bool fromServer = ip.Source == _server && tcp.SourcePort == _port;
        var key = fromServer ? (ip.Destination, tcp.DestinationPort) : (ip.Source, tcp.SourcePort);
        var end = new SeqNum(tcp.SequenceNumber) + tcp.SequenceLength;
        uint tsval = tcp.Options.Timestamps?.Value ?? 0;
        lock (_gate)
        {
            // Its own frame, should the handle see its own sends (Linux does not show a packet socket what it sent).
            if (fromServer && _injected.TryGetValue(ip.Identification, out var sent) && frame.SequenceEqual(sent)) return;
            if ((tcp.Flags & TcpFlags.Syn) != 0 && !fromServer) _views.Remove(key); // a new connection on a port used before
            _views.TryGetValue(key, out var view);
            if (fromServer)
            {
                _views[key] = view is null
                    ? new View(frame.ToArray(), end, tsval, default, 0, default, false)
                    : end > view.ServerNext || (int)(tsval - view.ServerTsval) > 0
                        ? view with { ServerFrame = frame.ToArray(), ServerNext = SeqNum.Max(end, view.ServerNext), ServerTsval = tsval }
                        : view;
            }
            else if (view is not null)
            {
                // The largest of each, not the latest: the veth reorders frames (a client's ACKs were seen out of order).
                bool first = view.ClientTsval == 0 && !view.ClientAcked;
                var ack = new SeqNum(tcp.AcknowledgmentNumber);
                bool acks = (tcp.Flags & TcpFlags.Ack) != 0;
                _views[key] = view with
                {
                    ClientNext = first || end > view.ClientNext ? end : view.ClientNext,
                    ClientTsval = first || (int)(tsval - view.ClientTsval) > 0 ? tsval : view.ClientTsval,
                    ClientAck = acks && (!view.ClientAcked || ack > view.ClientAck) ? ack : view.ClientAck,
                    ClientAcked = view.ClientAcked || acks,
                };
            }
        }
    }

    /// <summary>The connection's state once the client has acknowledged everything the server sent (the idle state an event needs).</summary>
    public View AwaitQuiet(Ipv4Address client, ushort clientPort, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (_gate)
            {
                if (_views.TryGetValue((client, clientPort), out var view) && view.ClientAcked && view.ClientAck == view.ServerNext) return view;
            }
            if (DateTime.UtcNow > deadline) throw new BenchException($"the connection from {client}:{clientPort} did not go quiet within {timeout.TotalSeconds:0} s");
            Thread.Sleep(5);
        }
    }

    /// <summary>
    /// Sends one server-to-client segment on the connection <paramref name="view"/> describes: the given sequence number,
    /// payload and flags, ACK = the client's next sequence number, TSval/TSecr = the latest of each side.
    /// </summary>
    public EventProbe Inject(View view, EventKind kind, SeqNum sequence, ReadOnlySpan<byte> payload, TcpFlags flags) =>
        new(kind, sequence.Value, payload.Length, (int)flags, Send(view, sequence, payload, flags));

    /// <summary>Resets the connection at <paramref name="receiveNext"/>, the client's RCV.NXT: after a hole fill that is past the server's SND.NXT, where the server's own RST would fall outside the window.</summary>
    public void Reset(View view, SeqNum receiveNext) => Send(view, receiveNext, [], TcpFlags.Rst | TcpFlags.Ack);

    private ushort Send(View view, SeqNum sequence, ReadOnlySpan<byte> payload, TcpFlags flags)
    {
        EthernetFrame.TryParse(view.ServerFrame, out var ethernet);
        Ipv4Packet.TryParse(ethernet.Payload, out var ip);
        TcpSegment.TryParse(ip.Payload, out var template);
        ushort marker;
        lock (_gate) marker = (ushort)++_nextMarker;
        var options = template.Options;
        options.ClearSackBlocks();
        if (options.Timestamps is not null) options.Timestamps = new TcpTimestamps(view.ServerTsval, view.ClientTsval);
        var tcp = template.ToHeader() with { SequenceNumber = sequence.Value, AcknowledgmentNumber = view.ClientNext.Value, Flags = flags, Options = options };
        var ipHeader = ip.ToHeader() with { Identification = marker };
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + tcp.Length + payload.Length];
        int length = FrameWriter.WriteTcp(frame, new EthernetHeader(ethernet.Destination, ethernet.Source, EtherType.Ipv4), ipHeader, tcp, payload);
        lock (_gate) _injected[marker] = frame[..length];
        _device.SendPacket(frame.AsSpan(0, length));
        return marker;
    }

    public void Dispose()
    {
        _device.StopCapture();
        _device.Close();
        _device.Dispose();
    }
}
