using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Simulation;

/// <summary>
/// One end of a simulated link: the same interface layer the live stack uses (<see cref="NetworkInterface"/>: frames
/// parsed, checksums verified, bad ones counted and dropped) over a <see cref="SimulatedLinkDevice"/>, with the peer as
/// a static neighbour so no ARP frames join the transfer. Sans-IO like the rest: the caller passes <c>now</c>.
/// </summary>
internal sealed class SimulatedHost
{
    private readonly SimulatedLinkDevice _device;
    private readonly NetworkInterface _interface;

    public SimulatedHost(SimulatedLink link, LinkSide side, MacAddress mac, Ipv4Address address,
                         MacAddress peerMac, Ipv4Address peerAddress, TcpStack stack, FrameTap? tap = null)
    {
        _device = new SimulatedLinkDevice(link, side, mac);
        _interface = new NetworkInterface(new InterfaceConfig
        {
            MacAddress = mac,
            Address = address,
            PrefixLength = 24,
            Mtu = link.ProfileFrom(side).Mtu,
            Checksums = ChecksumPolicy.Verify,
        }, stack, new TappedOutput(_device, tap));
        _interface.AddStaticNeighbor(peerAddress, peerMac);
        Stack = stack;
    }

    public TcpStack Stack { get; }
    public InterfaceStats Stats => _interface.Stats;

    /// <summary>Delivers the frames due for this host (at most <paramref name="batch"/>), then sends what the batch earned.</summary>
    public int Poll(Instant now, int batch)
    {
        _device.Now = now;
        var receiver = new Receiver(_interface, now);
        int frames = _device.Receive(ref receiver, batch);
        _interface.Flush(now);
        return frames;
    }

    public void RunTimers(Instant now)
    {
        _device.Now = now;
        if (_interface.NextDeadline <= now) _interface.OnTimers(now);
    }

    /// <summary>Sends every segment the stack has pending.</summary>
    public void Flush(Instant now)
    {
        _device.Now = now;
        _interface.Flush(now);
    }

    private readonly struct Receiver(NetworkInterface nic, Instant now) : IFrameReceiver
    {
        public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt) => nic.OnFrame(frame, now);
    }

    /// <summary>Shows every frame to the tap (tracing, pcap) before the link's faults apply, then sends it.</summary>
    private sealed class TappedOutput(SimulatedLinkDevice device, FrameTap? tap) : IFrameOutput
    {
        public void Transmit(ReadOnlySpan<byte> frame)
        {
            tap?.Invoke(device.Side, frame, device.Now);
            device.Send(frame);
        }
    }
}
