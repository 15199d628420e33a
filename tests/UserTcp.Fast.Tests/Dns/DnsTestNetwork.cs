using UserTcp.Fast.Api;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Dns;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Dns;

/// <summary>
/// The client stack as <see cref="NetworkStack.CreateLoop"/> assembles it (interface, TCP, stub resolver, poll loop)
/// over a simulated link on virtual time, with scripted DNS servers (and any other hosts) on the far side sharing one
/// device. Time jumps to the next event: a frame's arrival or a timer of either side.
/// </summary>
internal sealed class DnsTestNetwork
{
    public static readonly Ipv4Address ClientAddress = new(198, 18, 0, 2);
    public static readonly Ipv4Address Server1 = new(198, 18, 0, 1), Server2 = new(198, 18, 0, 3), Spoofer = new(198, 18, 0, 66);
    public static readonly MacAddress ClientMac = MacAddress.Parse("02:00:00:00:00:02");

    private readonly SimulatedLinkDevice _serverDevice;
    private readonly List<ScriptedDnsServer> _hosts = new();

    /// <param name="dnsServers">What the client's <see cref="NetworkStackOptions.DnsServers"/> lists.</param>
    /// <param name="hosts">The addresses that exist on the far side, each a scripted server (default: both servers and a spoofer).</param>
    public DnsTestNetwork(IReadOnlyList<Ipv4Address> dnsServers, Ipv4Address[]? hosts = null, LinkProfile? clientToServer = null,
                          LinkProfile? serverToClient = null, ulong seed = 1)
    {
        var profile = LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1) };
        Link = new SimulatedLink(clientToServer ?? profile, serverToClient ?? profile, seed);
        ClientDevice = new SimulatedLinkDevice(Link, LinkSide.A, ClientMac);
        Client = NetworkStack.CreateLoop(new NetworkStackOptions
        {
            Device = ClientDevice, Address = ClientAddress, PrefixLength = 24, DnsServers = dnsServers, Seed = seed,
        });
        _serverDevice = new SimulatedLinkDevice(Link, LinkSide.B, MacAddress.Parse("02:00:00:00:00:f0"));
        var output = new DeviceOutput(_serverDevice);
        foreach (var address in hosts ?? [Server1, Server2, Spoofer])
        {
            var mac = MacAddress.Parse($"02:00:00:00:01:{address.Value & 0xFF:x2}");
            _hosts.Add(new ScriptedDnsServer(address, mac, output, ClientAddress, ClientMac));
        }
    }

    public SimulatedLink Link { get; }
    public SimulatedLinkDevice ClientDevice { get; }
    public PollLoop Client { get; }
    public StubResolver Resolver => Client.Resolver!;
    public Instant Now { get; private set; } = Instant.FromMilliseconds(1000);

    public ScriptedDnsServer Host(Ipv4Address address) => _hosts.Single(h => h.Address == address);

    /// <summary>Starts a lookup now, as the application's command would on the poll thread.</summary>
    public DnsLookup Resolve(string name, Action<DnsLookup>? completed = null)
    {
        ClientDevice.Now = Now;
        return Resolver.Resolve(name, Now, completed);
    }

    public bool RunUntil(Func<bool> done, TimeSpan limit)
    {
        var end = Now + limit;
        for (int steps = 0; steps < 1_000_000; steps++)
        {
            ClientDevice.Now = _serverDevice.Now = Now;
            while (Client.Turn(Now) > 0) { }
            var receiver = new HostsReceiver(_hosts, Now);
            while (_serverDevice.Receive(ref receiver, 64) > 0) { }
            foreach (var host in _hosts)
            {
                if (host.Nic.NextDeadline <= Now) host.Nic.OnTimers(Now);
                host.Nic.Flush(Now);
            }
            if (done()) return true;
            var next = Instant.Min(Instant.Min(ClientDevice.NextArrival, _serverDevice.NextArrival), Client.NextDeadline);
            foreach (var host in _hosts) next = Instant.Min(next, host.Nic.NextDeadline);
            if (next > end) return done();
            if (next > Now) Now = next;
        }
        throw new InvalidOperationException("the simulation did not settle");
    }

    /// <summary>Runs until the lookup ends (failing the test if it does not within <paramref name="limit"/>).</summary>
    public DnsLookup Complete(DnsLookup lookup, TimeSpan? limit = null)
    {
        Assert.True(RunUntil(() => lookup.IsCompleted, limit ?? TimeSpan.FromMinutes(1)), $"{lookup.Name} still pending at {Now}");
        return lookup;
    }

    /// <summary>Lets virtual time run (to see that nothing else happens).</summary>
    public void Idle(TimeSpan duration) => RunUntil(() => false, duration);

    /// <summary>Every frame on the far side goes to every host, which keeps what is addressed to it (like a hub).</summary>
    private readonly struct HostsReceiver(List<ScriptedDnsServer> hosts, Instant now) : IFrameReceiver
    {
        public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt)
        {
            foreach (var host in hosts) host.Nic.OnFrame(frame, now);
        }
    }
}
