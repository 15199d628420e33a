using System.Net.Sockets;
using UserTcp.Fast.Api;
using UserTcp.Fast.Dns;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Wire;
using static UserTcp.Fast.Tests.Dns.DnsTestNetwork;

namespace UserTcp.Fast.Tests.Dns;

/// <summary>
/// Host names through the public API: <see cref="NetworkStack.ResolveAsync"/> and
/// <see cref="NetworkStack.ConnectAsync(string, int, CancellationToken)"/> on the stack's own poll thread, with a
/// scripted DNS server and two web hosts (one refusing, one listening on port 80) on the far side of the device.
/// </summary>
public sealed class NetworkStackDnsTests
{
    private static readonly Ipv4Address Refusing = new(198, 18, 0, 10), Listening = new(198, 18, 0, 11);
    /// <summary>How long the resolver's first round waits for an answer (the default settings, which the lab uses).</summary>
    private static readonly TimeSpan DnsRound = new DnsSettings().Timeout;

    private sealed class Lab : IDisposable
    {
        public readonly InProcessPeerDevice Device = new();
        public readonly ScriptedDnsServer Dns;
        public readonly NetworkInterface Web;
        public readonly NetworkStack Stack;

        public Lab(IReadOnlyList<Ipv4Address>? dnsServers = null)
        {
            Dns = new ScriptedDnsServer(Server1, MacAddress.Parse("02:00:00:00:01:01"), Device, ClientAddress, ClientMac);
            Device.Add(Dns.Nic);
            Device.Add(Host(Refusing));
            Web = Host(Listening);
            Web.Tcp.Listen(80);
            Device.Add(Web);
            Dns.Serve(new()
            {
                ["web.usertcp.test"] = [Refusing, Listening],
                ["closed.usertcp.test"] = [Refusing],
            });
            Stack = NetworkStack.Start(new NetworkStackOptions
            {
                Device = Device, Address = ClientAddress, PrefixLength = 24, DnsServers = dnsServers ?? [Server1], Seed = 5,
            });
        }

        private NetworkInterface Host(Ipv4Address address)
        {
            var nic = new NetworkInterface(
                new InterfaceConfig { MacAddress = MacAddress.Parse($"02:00:00:00:01:{address.Value & 0xFF:x2}"), Address = address, PrefixLength = 24 },
                new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), address.Value), Device);
            nic.AddStaticNeighbor(ClientAddress, ClientMac);
            return nic;
        }

        public Task<T> OnPollThread<T>(Func<T> read) => Stack.InvokeAsync(_ => read());

        public void Dispose() => Stack.Dispose();
    }

    [Fact]
    public async Task ResolveAsync_returns_the_addresses_and_literals_without_a_query()
    {
        using var lab = new Lab();
        Assert.Equal([Refusing, Listening], await lab.Stack.ResolveAsync("web.usertcp.test"));
        Assert.Equal([new Ipv4Address(192, 0, 2, 7)], await lab.Stack.ResolveAsync("192.0.2.7"));
        Assert.Equal(1, await lab.OnPollThread(() => lab.Dns.Queries.Count));
    }

    [Fact] // like Socket.ConnectAsync with a DnsEndPoint: the refusing address first, then the one that listens
    public async Task ConnectAsync_by_name_tries_each_address_until_one_connects()
    {
        using var lab = new Lab();
        await using var stream = await lab.Stack.ConnectAsync("web.usertcp.test", 80);
        Assert.Equal(1, await lab.OnPollThread(() => lab.Web.Tcp.ConnectionCount));
    }

    [Fact]
    public async Task ConnectAsync_by_name_throws_the_last_connection_error()
    {
        using var lab = new Lab();
        var error = await Assert.ThrowsAsync<SocketException>(() => lab.Stack.ConnectAsync("closed.usertcp.test", 80));
        Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
    }

    [Fact] // .NET's Dns on Linux: EAI_NONAME (NXDOMAIN, NODATA) is HostNotFound
    public async Task A_name_that_does_not_exist_is_HostNotFound_and_says_why()
    {
        using var lab = new Lab();
        var error = await Assert.ThrowsAsync<SocketException>(() => lab.Stack.ConnectAsync("nowhere.usertcp.test", 80));
        Assert.Equal(SocketError.HostNotFound, error.SocketErrorCode);
        Assert.Equal("nowhere.usertcp.test: name does not exist (NXDOMAIN from 198.18.0.1)", error.Message);
    }

    [Fact] // .NET's Dns on Linux: EAI_AGAIN (SERVFAIL, REFUSED, no answer) is TryAgain
    public async Task A_failing_server_is_TryAgain()
    {
        using var lab = new Lab();
        lab.Dns.OnQuery = (server, q) => server.Reply(q, DnsWire.Response(q, DnsResponseCode.ServerFailure));
        var error = await Assert.ThrowsAsync<SocketException>(() => lab.Stack.ResolveAsync("web.usertcp.test"));
        Assert.Equal(SocketError.TryAgain, error.SocketErrorCode);
        Assert.StartsWith("web.usertcp.test: no usable answer from the DNS server (198.18.0.1: SERVFAIL; gave up after", error.Message);
    }

    [Fact] // RFC 5452 §3 through the real stack and its poll thread: each hostile answer is counted and ignored, the real one wins
    public async Task Hostile_answers_before_the_real_one_change_nothing()
    {
        using var lab = new Lab();
        var forged = new Ipv4Address(198, 18, 0, 66);
        lab.Dns.OnQuery = (server, q) =>
        {
            server.Reply(q, DnsWire.Response((ushort)(q.Id ^ 0x5A5A), q.Name, answers: [DnsRecord.A(q.Name, forged)])); // wrong ID
            server.Reply(q, DnsWire.Response(q, answers: [DnsRecord.A(q.Name, forged)]), fromPort: 5353);             // wrong port
            var whole = DnsWire.Response(q, answers: [DnsRecord.A(q.Name, forged)]);
            server.Reply(q, whole[..(whole.Length - 3)]);                                                              // truncated mid-record
            var oversized = new byte[1472];                                                                            // the most a frame holds
            new Random(3).NextBytes(oversized);
            whole.AsSpan(0, 4).CopyTo(oversized);
            server.Reply(q, oversized);
            server.Reply(q, PointerLoop(q, forged));                                                                   // RFC 1035 §4.1.4 loop
            server.Reply(q, DnsWire.Response(q, answers: [DnsRecord.A(q.Name, Listening)]));                           // the real one
        };
        Assert.Equal([Listening], await lab.Stack.ResolveAsync("web.usertcp.test"));
        var stats = await lab.OnPollThread(() => lab.Stack.Loop.Resolver!.Stats);
        // The random one reads as another question or as malformed, depending on its bytes.
        Assert.Equal((1, 4, 1), (stats.DroppedWrongSource, stats.DroppedMismatched + stats.DroppedMalformed, stats.ResponsesAccepted));
        Assert.True(stats.DroppedMalformed >= 2, $"{stats.DroppedMalformed} malformed: the truncated one and the loop at least");
    }

    /// <summary>A response with the query's ID and question whose one answer's owner name is a compression pointer to itself.</summary>
    internal static byte[] PointerLoop(DnsQuestion q, Ipv4Address address)
    {
        var head = DnsWire.Response(q);
        var message = new byte[head.Length + 16];
        head.CopyTo(message, 0);
        message[7] = 1; // ANCOUNT
        int at = head.Length;
        message[at] = (byte)(0xC0 | (at >> 8));
        message[at + 1] = (byte)at;
        byte[] rest = [0, 1, 0, 1, 0, 0, 0, 60, 0, 4]; // A, IN, TTL 60, RDLENGTH 4
        rest.CopyTo(message, at + 2);
        address.Write(message.AsSpan(at + 12));
        return message;
    }

    [Fact]
    public async Task An_invalid_name_is_HostNotFound_not_a_crash()
    {
        using var lab = new Lab();
        var error = await Assert.ThrowsAsync<SocketException>(() => lab.Stack.ResolveAsync("bad..name"));
        Assert.Equal(SocketError.HostNotFound, error.SocketErrorCode);
        Assert.Contains("'bad..name' is not a valid host name", error.Message);
    }

    [Fact] // no server to ask: asking again will not help, so NoRecovery (EAI_FAIL), with the reason
    public async Task No_server_is_NoRecovery()
    {
        using var lab = new Lab(dnsServers: []);
        var error = await Assert.ThrowsAsync<SocketException>(() => lab.Stack.ResolveAsync("web.usertcp.test"));
        Assert.Equal(SocketError.NoRecovery, error.SocketErrorCode);
        Assert.Equal("web.usertcp.test: no DNS server to ask (none in NetworkStackOptions.DnsServers)", error.Message);
        Assert.Equal([Listening], await lab.Stack.ResolveAsync("198.18.0.11")); // literals need no server
    }

    [Fact] // cancelling ends the lookup on the poll thread: no lookup left, its port unbound, no further query
    public async Task Cancellation_ends_the_lookup_and_frees_its_port()
    {
        using var lab = new Lab();
        lab.Dns.OnQuery = null; // silent
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lab.Stack.ResolveAsync("web.usertcp.test", cancel.Token));
        var (pending, bound, queries) = await lab.OnPollThread(() =>
            (lab.Stack.Loop.Resolver!.PendingLookups, lab.Stack.Loop.Interface.IsUdpBound(lab.Dns.Queries[0].ClientPort), lab.Dns.Queries.Count));
        Assert.Equal((0, false), (pending, bound));
        // One query, or two when a loaded machine (CI's parallel tests) delayed the cancellation past the first round's
        // timeout: what matters is that none follows. Without the cancellation the next would leave within this wait (the
        // second round waits twice as long as the first).
        Assert.InRange(queries, 1, 2);
        await Task.Delay(2 * DnsRound + TimeSpan.FromMilliseconds(300));
        Assert.Equal(queries, await lab.OnPollThread(() => lab.Dns.Queries.Count));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lab.Stack.ResolveAsync("web.usertcp.test", new CancellationToken(canceled: true)));
        Assert.Equal((0, queries), await lab.OnPollThread(() => (lab.Stack.Loop.Resolver!.PendingLookups, lab.Dns.Queries.Count)));
    }
}
