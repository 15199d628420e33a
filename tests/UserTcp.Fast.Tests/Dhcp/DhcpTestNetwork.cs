using UserTcp.Fast.Api;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Dhcp;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Simulation;

namespace UserTcp.Fast.Tests.Dhcp;

/// <summary>
/// The client stack as <see cref="NetworkStack.CreateLoop"/> assembles it with <see cref="NetworkStackOptions.Dhcp"/>,
/// over a simulated link on virtual time, with a <see cref="DhcpServerDouble"/> (and optionally a host that already
/// holds the first address the server offers) on the far side. Time jumps to the next event.
/// </summary>
internal sealed class DhcpTestNetwork
{
    public static readonly Ipv4Address ServerAddress = new(198, 18, 5, 1), FirstOffer = new(198, 18, 5, 100), Dns = new(198, 18, 5, 53);
    public static readonly MacAddress ClientMac = MacAddress.Parse("02:00:00:00:00:02"), SquatterMac = MacAddress.Parse("02:00:00:00:00:66");

    private readonly SimulatedLinkDevice _serverDevice;

    /// <param name="deviceName">The client device's name: the stack reads the kernel's address of an interface so named (none for "sim0").</param>
    /// <param name="firstOffer">The first address the server offers (<see cref="FirstOffer"/> by default).</param>
    public DhcpTestNetwork(bool squatter = false, ulong seed = 1, string deviceName = "sim0", Ipv4Address? firstOffer = null)
    {
        var profile = LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1) };
        Link = new SimulatedLink(profile, profile, seed);
        ClientDevice = new SimulatedLinkDevice(Link, LinkSide.A, ClientMac, deviceName);
        Client = NetworkStack.CreateLoop(new NetworkStackOptions { Device = ClientDevice, Dhcp = true, Seed = seed });
        _serverDevice = new SimulatedLinkDevice(Link, LinkSide.B, MacAddress.Parse("02:00:00:00:00:f0"));
        var output = new DeviceOutput(_serverDevice);
        Server = new DhcpServerDouble(ServerAddress, MacAddress.Parse("02:00:00:00:01:01"), output, firstOffer ?? FirstOffer) { DnsServers = [Dns] };
        if (squatter)
            Squatter = new NetworkInterface(new InterfaceConfig { MacAddress = SquatterMac, Address = FirstOffer, PrefixLength = 24 },
                                            new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 7), output);
    }

    public SimulatedLink Link { get; }
    public SimulatedLinkDevice ClientDevice { get; }
    public PollLoop Client { get; }
    public DhcpClient Dhcp => Client.Dhcp!;
    public NetworkInterface Nic => Client.Interface;
    public DhcpServerDouble Server { get; }
    public NetworkInterface? Squatter { get; }
    /// <summary>Every frame the client sent, as the far side received it.</summary>
    public List<(Instant At, byte[] Frame)> ClientFrames { get; } = new();
    public Instant Now { get; private set; } = Instant.FromMilliseconds(1000);

    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = Now + limit;
        for (int steps = 0; steps < 1_000_000; steps++)
        {
            ClientDevice.Now = _serverDevice.Now = Now;
            while (Client.Turn(Now) > 0) { }
            var receiver = new FarSide(this);
            while (_serverDevice.Receive(ref receiver, 64) > 0) { }
            foreach (var nic in FarNics())
            {
                if (nic.NextDeadline <= Now) nic.OnTimers(Now);
                nic.Flush(Now);
            }
            if (done()) return true;
            var next = Instant.Min(Instant.Min(ClientDevice.NextArrival, _serverDevice.NextArrival), Client.NextDeadline);
            foreach (var nic in FarNics()) next = Instant.Min(next, nic.NextDeadline);
            if (next > end)
            {
                Now = end;
                return done();
            }
            if (next > Now) Now = next;
        }
        throw new InvalidOperationException("the simulation did not settle");
    }

    /// <summary>Runs until the client is in <paramref name="state"/> (failing the test if it is not within <paramref name="limit"/>).</summary>
    public void RunUntil(DhcpState state, TimeSpan? limit = null) =>
        Assert.True(RunUntil(() => Dhcp.State == state, limit ?? TimeSpan.FromMinutes(1)), $"still {Dhcp.State} at {Now}, not {state}");

    /// <summary>Sends a frame built by hand from the far side.</summary>
    public void TransmitFromFarSide(ReadOnlySpan<byte> frame)
    {
        _serverDevice.Now = Now;
        new DeviceOutput(_serverDevice).Transmit(frame);
    }

    /// <summary>Lets virtual time run for <paramref name="duration"/>.</summary>
    public void Idle(TimeSpan duration) => RunUntil(() => false, duration);

    private IEnumerable<NetworkInterface> FarNics() => Squatter is null ? [Server.Nic] : [Server.Nic, Squatter];

    /// <summary>Every frame goes to every far host, which keeps what is addressed to it (like a hub).</summary>
    private readonly struct FarSide(DhcpTestNetwork network) : IFrameReceiver
    {
        public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt)
        {
            network.ClientFrames.Add((network.Now, frame.ToArray()));
            network.Server.OnFrame(frame, network.Now);
            network.Squatter?.OnFrame(frame, network.Now);
        }
    }
}
