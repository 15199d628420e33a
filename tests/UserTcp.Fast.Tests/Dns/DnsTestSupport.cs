using System.Buffers.Binary;
using System.Text;
using UserTcp.Fast.Api;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Dns;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Dns;

/// <summary>A question as a scripted server read it from a query (RFC 1035 §4.1.2; queries are never compressed).</summary>
internal sealed record DnsQuestion(ushort Id, ushort Flags, string Name, DnsRecordType Type, Ipv4Address Client, ushort ClientPort, Instant At);

/// <summary>One resource record of a scripted answer.</summary>
internal sealed record DnsRecord(string Owner, DnsRecordType Type, uint Ttl, Ipv4Address Address = default, string Target = "")
{
    public static DnsRecord A(string owner, Ipv4Address address, uint ttl = 300) => new(owner, DnsRecordType.A, ttl, address);
    public static DnsRecord Cname(string owner, string target, uint ttl = 300) => new(owner, DnsRecordType.Cname, ttl, Target: target);
}

/// <summary>Reads queries and writes responses the way a recursive server would (RFC 1035 §4.1), without compression.</summary>
internal static class DnsWire
{
    public static DnsQuestion ReadQuery(ReadOnlySpan<byte> message, Ipv4Address client, ushort clientPort, Instant at)
    {
        var labels = new List<string>();
        int offset = DnsMessage.HeaderLength;
        while (message[offset] != 0)
        {
            labels.Add(Encoding.ASCII.GetString(message.Slice(offset + 1, message[offset])));
            offset += 1 + message[offset];
        }
        var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 1)..]);
        return new DnsQuestion(BinaryPrimitives.ReadUInt16BigEndian(message), BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
                               string.Join('.', labels), type, client, clientPort, at);
    }

    /// <summary>A response to (<paramref name="id"/>, <paramref name="name"/> A IN) with RA set, the given RCODE and TC, and <paramref name="answers"/>.</summary>
    public static byte[] Response(ushort id, string name, DnsResponseCode code = DnsResponseCode.NoError, bool truncated = false, params DnsRecord[] answers)
    {
        var message = new byte[512];
        BinaryPrimitives.WriteUInt16BigEndian(message, id);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), (ushort)(0x8180 | (truncated ? 0x0200 : 0) | (int)code)); // QR RD RA
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), (ushort)answers.Length);
        int offset = DnsMessage.HeaderLength + DnsMessage.WriteName(message.AsSpan(DnsMessage.HeaderLength), name);
        offset = WriteTypeAndClass(message, offset, DnsRecordType.A);
        foreach (var record in answers)
        {
            offset += DnsMessage.WriteName(message.AsSpan(offset), record.Owner);
            offset = WriteTypeAndClass(message, offset, record.Type);
            BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(offset), record.Ttl);
            int dataLength = record.Type == DnsRecordType.A ? 4 : DnsMessage.WriteName(message.AsSpan(offset + 6), record.Target);
            if (record.Type == DnsRecordType.A) record.Address.Write(message.AsSpan(offset + 6));
            BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset + 4), (ushort)dataLength);
            offset += 6 + dataLength;
        }
        return message[..offset];
    }

    public static byte[] Response(DnsQuestion question, DnsResponseCode code = DnsResponseCode.NoError, bool truncated = false, params DnsRecord[] answers) =>
        Response(question.Id, question.Name, code, truncated, answers);

    private static int WriteTypeAndClass(byte[] message, int offset, DnsRecordType type)
    {
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset), (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset + 2), 1); // IN
        return offset + 4;
    }
}

/// <summary>
/// A host on the far side that listens on UDP 53 through the real interface layer and does what its script says with
/// each query (nothing, by default: a silent server). It knows the client's MAC statically, so it never ARPs; the
/// client resolves it with ARP as usual.
/// </summary>
internal sealed class ScriptedDnsServer : IUdpReceiver
{
    private readonly IFrameOutput _output;

    public ScriptedDnsServer(Ipv4Address address, MacAddress mac, IFrameOutput output, Ipv4Address client, MacAddress clientMac)
    {
        Mac = mac;
        _output = output;
        Nic = new NetworkInterface(new InterfaceConfig { MacAddress = mac, Address = address, PrefixLength = 24, Checksums = ChecksumPolicy.Verify },
                                   new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), address.Value), output);
        Nic.AddStaticNeighbor(client, clientMac);
        Nic.BindUdp(StubResolver.ServerPort, this);
    }

    public NetworkInterface Nic { get; }
    public MacAddress Mac { get; }
    public Ipv4Address Address => Nic.Config.Address;
    public List<DnsQuestion> Queries { get; } = new();
    /// <summary>What the server does with each query: reply, reply several times, forge, or nothing.</summary>
    public Action<ScriptedDnsServer, DnsQuestion>? OnQuery { get; set; }

    /// <summary>Answers every query for a name in <paramref name="zone"/> with its A records; NXDOMAIN for other names.</summary>
    public void Serve(Dictionary<string, Ipv4Address[]> zone) => OnQuery = (server, question) =>
        server.Reply(question, zone.TryGetValue(question.Name, out var addresses)
            ? DnsWire.Response(question, answers: addresses.Select(a => DnsRecord.A(question.Name, a)).ToArray())
            : DnsWire.Response(question, DnsResponseCode.NameError));

    /// <summary>Sends <paramref name="message"/> to the query's source port, from <paramref name="fromPort"/>.</summary>
    public void Reply(DnsQuestion question, byte[] message, ushort fromPort = StubResolver.ServerPort) =>
        Nic.SendUdp(fromPort, question.Client, question.ClientPort, message, question.At);

    /// <summary>Sends a frame built by hand (an ICMP error, say), bypassing the interface.</summary>
    public void Transmit(byte[] frame) => _output.Transmit(frame);

    public void OnDatagram(Ipv4Address source, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, Instant at)
    {
        var question = DnsWire.ReadQuery(payload, source, sourcePort, at);
        Queries.Add(question);
        OnQuery?.Invoke(this, question);
    }
}

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

/// <summary>
/// A device whose far end is a few hosts (full interface layers) run inside <see cref="Send"/> and <see cref="Receive"/>,
/// so everything, the peers included, runs on the stack's poll thread on the monotonic clock: the public API's async
/// methods can be tested over it without a second thread touching anything.
/// </summary>
internal sealed class InProcessPeerDevice : INetworkDevice, IFrameOutput
{
    private readonly Queue<byte[]> _toStack = new();
    private readonly List<NetworkInterface> _peers = new();

    public string Name => "inproc0";
    public MacAddress MacAddress { get; } = DnsTestNetwork.ClientMac;
    public int Mtu => 1500;
    public bool IsHostLocal => false;
    public DeviceStats Stats { get; } = new();
    public int ReadinessDescriptor => -1;

    /// <summary>Adds a host on the far side; its frames reach the stack through this device. Before the stack starts.</summary>
    public void Add(NetworkInterface peer) => _peers.Add(peer);

    /// <summary>What the peers transmit: queued for the stack's next receive.</summary>
    public void Transmit(ReadOnlySpan<byte> frame) => _toStack.Enqueue(frame.ToArray());

    public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
    {
        var now = MonotonicClock.Now;
        foreach (var peer in _peers)
        {
            if (peer.NextDeadline <= now) peer.OnTimers(now);
            peer.Flush(now);
        }
        int frames = 0;
        while (frames < maxFrames && _toStack.TryDequeue(out var frame))
        {
            handler.OnFrame(frame, now);
            frames++;
        }
        Stats.FramesReceived += frames;
        return frames;
    }

    public bool Send(ReadOnlySpan<byte> frame)
    {
        var now = MonotonicClock.Now;
        Stats.FramesSent++;
        foreach (var peer in _peers) peer.OnFrame(frame, now);
        foreach (var peer in _peers) peer.Flush(now);
        return true;
    }

    public void Flush() { }

    public bool WaitForFrames(TimeSpan timeout)
    {
        if (_toStack.Count == 0) Thread.Sleep(TimeSpan.FromMilliseconds(1));
        return _toStack.Count > 0;
    }

    public void Dispose() { }
}
