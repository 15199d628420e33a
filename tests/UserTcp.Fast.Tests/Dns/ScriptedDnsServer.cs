using UserTcp.Fast.Dns;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Dns;

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
