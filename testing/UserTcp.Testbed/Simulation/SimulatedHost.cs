using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Capture;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Simulation;

/// <summary>
/// One end of a simulated link running the production stack: the live stack's <see cref="PollLoop"/> and
/// <see cref="NetworkInterface"/> (frames parsed, checksums verified, bad ones counted and dropped) over a
/// <see cref="SimulatedLinkDevice"/> on virtual time, with the peer as a static neighbour so no ARP frames join the
/// transfer. A frame tap sees what the host sends through the same <see cref="CapturingDevice"/> that writes
/// <c>--pcap</c> captures. Sans-IO like the rest: the driver passes <c>now</c> to every turn.
/// </summary>
internal sealed class SimulatedHost
{
    private readonly SimulatedLinkDevice _device;
    private readonly PollLoop _loop;

    public SimulatedHost(SimulatedLink link, LinkSide side, MacAddress mac, Ipv4Address address,
                         MacAddress peerMac, Ipv4Address peerAddress, TcpStack stack, int batch, FrameTap? tap = null)
    {
        _device = new SimulatedLinkDevice(link, side, mac);
        INetworkDevice device = tap is null ? _device : new CapturingDevice(_device, new TapSink(_device, tap));
        var nic = new NetworkInterface(new InterfaceConfig
        {
            MacAddress = mac,
            Address = address,
            PrefixLength = 24,
            Mtu = link.ProfileFrom(side).Mtu,
            Checksums = ChecksumPolicy.Verify,
        }, stack, new DeviceOutput(device));
        nic.AddStaticNeighbor(peerAddress, peerMac);
        _loop = new PollLoop(device, nic, batch);
        Stack = stack;
    }

    public TcpStack Stack { get; }

    /// <summary>The application's work, run inside every turn after receive and timers and before the flush, as on the live stack.</summary>
    public Action<Instant>? OnTurn
    {
        get => _loop.OnTurn;
        set => _loop.OnTurn = value;
    }

    /// <summary>The next timer of the host's interface and TCP stack.</summary>
    public Instant NextDeadline => _loop.NextDeadline;

    /// <summary>Whether a frame for this host has arrived by <paramref name="now"/> (one turn takes a batch at most).</summary>
    public bool HasFrameDue(Instant now) => _device.NextArrival <= now;

    /// <summary>One poll-loop turn at virtual time <paramref name="now"/>: a batch received, due timers, the application,
    /// then the ACKs and data the turn earned sent. Returns the frames received.</summary>
    public int Turn(Instant now)
    {
        _device.Now = now;
        return _loop.Turn(now);
    }

    /// <summary>Shows the tap every frame the host sends, at the virtual time it leaves (before the link's faults apply).</summary>
    private sealed class TapSink(SimulatedLinkDevice device, FrameTap tap) : ICaptureSink
    {
        public void OnReceived(ReadOnlySpan<byte> frame, Instant deliveredAt) { }

        public void OnSent(ReadOnlySpan<byte> frame) => tap(device.Side, frame, device.Now);
    }
}
