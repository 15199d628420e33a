using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Fast.Devices;

namespace UserTcp.Fast.Simulation;

/// <summary>Frames a simulated host dropped, by reason.</summary>
public sealed class SimulatedHostStats
{
    public long FramesReceived;
    public long NotForUs;
    public long BadEthernet;
    public long BadIpv4;
    public long BadTcp;
    public long BadTcpChecksum;
    public long NotTcp;
    public long FramesSent;
}

/// <summary>
/// One end of a simulated link: a <see cref="TcpStack"/> behind minimal Ethernet/IPv4 framing with a fixed
/// neighbour (no ARP). Every frame crosses the link as real bytes: parsed, checksums verified, bad ones counted
/// and dropped. Sans-IO like the rest: the caller passes <c>now</c>.
/// </summary>
public sealed class SimulatedHost
{
    private readonly SimulatedLink _link;
    private readonly byte[] _frame;

    public SimulatedHost(SimulatedLink link, LinkSide side, MacAddress mac, Ipv4Address address, MacAddress peerMac, TcpStack stack)
    {
        _link = link;
        Side = side;
        Mac = mac;
        Address = address;
        PeerMac = peerMac;
        Stack = stack;
        _frame = GC.AllocateArray<byte>(link.ProfileFrom(side).Mtu + EthernetFrame.HeaderLength, pinned: true);
    }

    public LinkSide Side { get; }
    public MacAddress Mac { get; }
    public Ipv4Address Address { get; }
    public MacAddress PeerMac { get; }
    public TcpStack Stack { get; }
    public SimulatedHostStats Stats { get; } = new();
    /// <summary>Sees every frame this host sends.</summary>
    public FrameTap? Tap { get; init; }
    private LinkSide OtherSide => Side == LinkSide.A ? LinkSide.B : LinkSide.A;

    /// <summary>Delivers the frames due for this host (at most <paramref name="batch"/>), then sends what the batch earned.</summary>
    public int Poll(Instant now, int batch)
    {
        var receiver = new Receiver(this, now);
        int frames = _link.Deliver(Side, now, ref receiver, batch);
        Flush(now);
        return frames;
    }

    public void RunTimers(Instant now)
    {
        if (Stack.NextDeadline <= now) Stack.OnTimers(now);
    }

    /// <summary>Sends every segment the stack has pending.</summary>
    public void Flush(Instant now)
    {
        if (!Stack.HasPendingOutput) return;
        var writer = new FrameWriterForLink(this, now);
        Stack.Flush(ref writer, now);
    }

    private void OnFrame(ReadOnlySpan<byte> frame, Instant now)
    {
        Stats.FramesReceived++;
        if (EthernetFrame.TryParse(frame, out var ethernet) != WireStatus.Ok) { Stats.BadEthernet++; return; }
        if (ethernet.Destination != Mac) { Stats.NotForUs++; return; }
        if (ethernet.EtherType != EtherType.Ipv4) { Stats.NotTcp++; return; }
        if (Ipv4Packet.TryParse(ethernet.Payload, out var ip) != WireStatus.Ok) { Stats.BadIpv4++; return; }
        if (ip.Destination != Address) { Stats.NotForUs++; return; }
        if (ip.Protocol != IpProtocol.Tcp || ip.IsFragment) { Stats.NotTcp++; return; }
        if (TcpSegment.TryParse(ip.Payload, out var segment) != WireStatus.Ok) { Stats.BadTcp++; return; }
        if (segment.VerifyChecksum(ip.Source, ip.Destination) != ChecksumVerdict.Valid) { Stats.BadTcpChecksum++; return; }
        if (Stack.OnSegment(ip.Source, ip.Destination, segment, now)) Flush(now); // naive ACK policy: ACK before the next segment
    }

    private readonly struct Receiver(SimulatedHost host, Instant now) : IFrameReceiver
    {
        public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt) => host.OnFrame(frame, now);
    }

    /// <summary>Lends the space after Ethernet and IPv4 headers to the stack, then frames the segment and sends it.</summary>
    private struct FrameWriterForLink(SimulatedHost host, Instant now) : ITcpSegmentWriter
    {
        private const int HeadersLength = EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength;
        private Ipv4Address _source, _destination;

        public Span<byte> Begin(Ipv4Address source, Ipv4Address destination)
        {
            _source = source;
            _destination = destination;
            return host._frame.AsSpan(HeadersLength);
        }

        public void Commit(int segmentLength)
        {
            if (segmentLength == 0) return;
            var frame = host._frame.AsSpan(0, HeadersLength + segmentLength);
            new EthernetHeader(host.PeerMac, host.Mac, EtherType.Ipv4).Emit(frame);
            new Ipv4Header(_source, _destination, IpProtocol.Tcp).Emit(frame[EthernetFrame.HeaderLength..], segmentLength);
            host.Tap?.Invoke(host.Side, frame, now);
            host._link.Send(host.Side, frame, now);
            host.Stats.FramesSent++;
        }
    }
}
