using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Dns;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Frames;
using static UserTcp.Fast.Tests.Dns.DnsTestNetwork;

namespace UserTcp.Fast.Tests.Dns;

/// <summary>
/// The stub resolver inside the client stack, over the simulated link on virtual time, against scripted servers:
/// answers, RCODEs, the retry schedule, server rotation, anti-spoofing checks, loss, and the identities of queries.
/// </summary>
public sealed class StubResolverTests
{
    private static readonly Ipv4Address Web = new(198, 18, 0, 80), Web2 = new(198, 18, 0, 81), Forged = new(6, 6, 6, 6);

    private static DnsTestNetwork Answering(params Ipv4Address[] servers)
    {
        var net = new DnsTestNetwork(servers);
        foreach (var server in servers)
            net.Host(server).Serve(new() { ["web.usertcp.test"] = [Web, Web2] });
        return net;
    }

    [Fact] // RFC 1035 §4.1: one A query with RD, from the lookup's port and ID; the answer's addresses in order
    public void A_records_are_resolved()
    {
        var net = Answering(Server1);
        DnsLookup? completed = null;
        var lookup = net.Complete(net.Resolve("web.usertcp.test", l => completed = l));
        Assert.Same(lookup, completed);
        Assert.Equal(DnsLookupStatus.Resolved, lookup.Status);
        Assert.Equal([Web, Web2], lookup.Addresses);
        Assert.Equal(Server1, lookup.AnsweredBy);
        Assert.Equal(300u, lookup.TimeToLiveSeconds);
        Assert.Null(lookup.Failure);
        var query = Assert.Single(net.Host(Server1).Queries);
        Assert.Equal(("web.usertcp.test", DnsRecordType.A, lookup.Id, lookup.SourcePort, ClientAddress),
                     (query.Name, query.Type, query.Id, query.ClientPort, query.Client));
        Assert.Equal(0x0100, query.Flags); // a standard query with recursion desired (RFC 1035 §4.1.1)
        Assert.False(net.Client.Interface.IsUdpBound(lookup.SourcePort));
        Assert.Equal(0, net.Resolver.PendingLookups);
        Assert.Equal(1, net.Resolver.Stats.ResponsesAccepted);
    }

    [Fact] // RFC 1035 §3.6.2: the CNAME chain is followed to the A records; the smallest TTL on it is kept
    public void Cname_chain_is_followed()
    {
        var net = new DnsTestNetwork([Server1]);
        net.Host(Server1).OnQuery = (server, q) => server.Reply(q, DnsWire.Response(q, answers:
        [
            DnsRecord.Cname("www.usertcp.test", "edge.cdn.test", ttl: 600),
            DnsRecord.Cname("edge.cdn.test", "origin.cdn.test", ttl: 30),
            DnsRecord.A("origin.cdn.test", Web, ttl: 120),
            DnsRecord.A("unrelated.cdn.test", Forged),
        ]));
        var lookup = net.Complete(net.Resolve("www.usertcp.test"));
        Assert.Equal(DnsLookupStatus.Resolved, lookup.Status);
        Assert.Equal([Web], lookup.Addresses);
        Assert.Equal(["edge.cdn.test", "origin.cdn.test"], lookup.Aliases);
        Assert.Equal(30u, lookup.TimeToLiveSeconds);
    }

    [Fact] // RFC 2308 §2.1: NXDOMAIN is the answer about the name: final, no retry, no other server asked
    public void Nxdomain_is_final()
    {
        var net = Answering(Server1, Server2);
        var lookup = net.Complete(net.Resolve("nowhere.usertcp.test"));
        net.Idle(TimeSpan.FromSeconds(30));
        Assert.Equal(DnsLookupStatus.NameDoesNotExist, lookup.Status);
        Assert.Equal("nowhere.usertcp.test: name does not exist (NXDOMAIN from 198.18.0.1)", lookup.Failure);
        Assert.Single(net.Host(Server1).Queries);
        Assert.Empty(net.Host(Server2).Queries);
        Assert.Equal(0, net.Resolver.Stats.Retries);
    }

    [Fact] // RFC 2308 §2.2: NOERROR without an A record (NODATA) is final too
    public void No_a_record_is_final()
    {
        var net = new DnsTestNetwork([Server1, Server2]);
        net.Host(Server1).OnQuery = (server, q) => server.Reply(q, DnsWire.Response(q, answers: [DnsRecord.Cname("mail.usertcp.test", "mx.usertcp.test")]));
        var lookup = net.Complete(net.Resolve("mail.usertcp.test"));
        Assert.Equal(DnsLookupStatus.NoAddresses, lookup.Status);
        Assert.Equal("mail.usertcp.test: no IPv4 address for this name (mail.usertcp.test is an alias of mx.usertcp.test) "
                     + "(no A record in the answer from 198.18.0.1)", lookup.Failure);
        Assert.Empty(net.Host(Server2).Queries);
    }

    [Fact] // RFC 1536 §1: a silent server gets the query again after 1 s, then after 2 s more, and the lookup ends 4 s later
    public void Silent_server_is_retried_with_doubling_waits_then_the_lookup_fails()
    {
        var net = new DnsTestNetwork([Server1]);
        var start = net.Now;
        var lookup = net.Complete(net.Resolve("silent.usertcp.test"));
        // The first query waits 2 ms for ARP (1 ms each way) and arrives 1 ms later; the retries go at once.
        Assert.Equal([3, 1001, 3001], net.Host(Server1).Queries.Select(q => (q.At - start).TotalMilliseconds));
        Assert.Equal(TimeSpan.FromSeconds(7), lookup.CompletedAt - start);
        Assert.Equal(DnsLookupStatus.NoAnswer, lookup.Status);
        Assert.Equal("silent.usertcp.test: no usable answer from the DNS server (198.18.0.1: no response to 3 queries; gave up after 7.0 s)", lookup.Failure);
        Assert.All(net.Host(Server1).Queries, q => Assert.Equal((lookup.Id, lookup.SourcePort), (q.Id, q.ClientPort))); // retransmissions of one query
        Assert.Equal((3, 2, 3), (net.Resolver.Stats.Timeouts, net.Resolver.Stats.Retries, lookup.QueriesSent));
        Assert.False(net.Client.Interface.IsUdpBound(lookup.SourcePort));
    }

    [Fact] // RFC 1035 §7.2: the servers are asked in turn; the second answers after the first's wait ran out
    public void First_server_silent_second_answers()
    {
        var net = new DnsTestNetwork([Server1, Server2]);
        net.Host(Server2).Serve(new() { ["web.usertcp.test"] = [Web] });
        var start = net.Now;
        var lookup = net.Complete(net.Resolve("web.usertcp.test"));
        Assert.Equal(DnsLookupStatus.Resolved, lookup.Status);
        Assert.Equal(Server2, lookup.AnsweredBy);
        Assert.Single(net.Host(Server1).Queries);
        Assert.Equal(1003, (Assert.Single(net.Host(Server2).Queries).At - start).TotalMilliseconds); // after 1 s, then ARP
    }

    [Fact] // two silent servers: rounds of both with doubling waits, 3 queries each, then failure naming both
    public void Two_silent_servers_are_rotated_for_every_round()
    {
        var net = new DnsTestNetwork([Server1, Server2]);
        var start = net.Now;
        var lookup = net.Complete(net.Resolve("silent.usertcp.test"));
        Assert.Equal([3, 2001, 6001], net.Host(Server1).Queries.Select(q => (q.At - start).TotalMilliseconds));
        Assert.Equal([1003, 4001, 10001], net.Host(Server2).Queries.Select(q => (q.At - start).TotalMilliseconds));
        Assert.Equal(TimeSpan.FromSeconds(14), lookup.CompletedAt - start);
        Assert.Equal("silent.usertcp.test: no usable answer from the DNS servers (198.18.0.1: no response to 3 queries; "
                     + "198.18.0.3: no response to 3 queries; gave up after 14.0 s)", lookup.Failure);
    }

    [Fact] // RFC 1034 §5.3.3 step 4d: SERVFAIL takes the server out and the next one is asked at once, not after a timeout
    public void Servfail_moves_to_the_next_server_at_once()
    {
        var net = new DnsTestNetwork([Server1, Server2]);
        net.Host(Server1).OnQuery = (server, q) => server.Reply(q, DnsWire.Response(q, DnsResponseCode.ServerFailure));
        net.Host(Server2).Serve(new() { ["web.usertcp.test"] = [Web] });
        var start = net.Now;
        var lookup = net.Complete(net.Resolve("web.usertcp.test"));
        Assert.Equal(DnsLookupStatus.Resolved, lookup.Status);
        Assert.Equal(Server2, lookup.AnsweredBy);
        Assert.True(lookup.CompletedAt - start < TimeSpan.FromMilliseconds(10), $"took {lookup.CompletedAt - start}");
        Assert.Single(net.Host(Server1).Queries);
    }

    [Fact] // SERVFAIL and REFUSED from every server: the lookup fails at once and says what each server did
    public void Every_server_failing_ends_the_lookup_at_once()
    {
        var net = new DnsTestNetwork([Server1, Server2]);
        net.Host(Server1).OnQuery = (server, q) => server.Reply(q, DnsWire.Response(q, DnsResponseCode.ServerFailure));
        net.Host(Server2).OnQuery = (server, q) => server.Reply(q, DnsWire.Response(q, DnsResponseCode.Refused));
        var lookup = net.Complete(net.Resolve("broken.usertcp.test"));
        net.Idle(TimeSpan.FromSeconds(30));
        Assert.Equal(DnsLookupStatus.NoAnswer, lookup.Status);
        Assert.Equal("broken.usertcp.test: no usable answer from the DNS servers (198.18.0.1: SERVFAIL; 198.18.0.3: REFUSED; gave up after 0.0 s)", lookup.Failure);
        Assert.Equal((1, 1), (net.Host(Server1).Queries.Count, net.Host(Server2).Queries.Count));
    }

    [Fact] // RFC 5452 §3: wrong ID, wrong question, wrong source port, wrong server, garbage: counted and ignored
    public void Forged_and_mismatched_responses_are_ignored_and_counted()
    {
        var net = new DnsTestNetwork([Server1]);
        net.Host(Server1).OnQuery = (server, q) =>
        {
            var forged = DnsWire.Response(q, answers: [DnsRecord.A(q.Name, Forged)]);
            server.Reply(q, DnsWire.Response((ushort)(q.Id + 1), q.Name, answers: [DnsRecord.A(q.Name, Forged)])); // wrong ID
            server.Reply(q, DnsWire.Response(q.Id, "other.usertcp.test", answers: [DnsRecord.A("other.usertcp.test", Forged)])); // wrong question
            server.Reply(q, forged, fromPort: 5353);                                                                // wrong source port
            net.Host(Spoofer).Reply(q, forged);                                                                     // a server never asked
            server.Reply(q, [0x12, 0x34, 0x81]);                                                                    // too short to be DNS
            server.Reply(q, DnsWire.Response(q, answers: [DnsRecord.A(q.Name, Web)]));                              // the real one
        };
        var lookup = net.Complete(net.Resolve("web.usertcp.test"));
        Assert.Equal(DnsLookupStatus.Resolved, lookup.Status);
        Assert.Equal([Web], lookup.Addresses);
        var stats = net.Resolver.Stats;
        Assert.Equal((2, 2, 1, 1), (stats.DroppedWrongSource, stats.DroppedMismatched, stats.DroppedMalformed, stats.ResponsesAccepted));
    }

    [Fact] // a forgery alone never ends the lookup: it keeps waiting and retrying, then fails as if nothing came
    public void A_forged_response_alone_does_not_end_the_lookup()
    {
        var net = new DnsTestNetwork([Server1]);
        net.Host(Server1).OnQuery = (_, q) => net.Host(Spoofer).Reply(q, DnsWire.Response(q, DnsResponseCode.NameError));
        var lookup = net.Complete(net.Resolve("web.usertcp.test"));
        Assert.Equal(DnsLookupStatus.NoAnswer, lookup.Status);
        Assert.Equal(3, net.Resolver.Stats.DroppedWrongSource);
    }

    [Fact] // a server answering only with compression loops (RFC 1035 §4.1.4): each is dropped as malformed, the lookup ends as a silent server's
    public void Only_pointer_loops_end_the_lookup_cleanly()
    {
        var net = new DnsTestNetwork([Server1]);
        net.Host(Server1).OnQuery = (server, q) => server.Reply(q, NetworkStackDnsTests.PointerLoop(q, Forged));
        var lookup = net.Complete(net.Resolve("web.usertcp.test"));
        Assert.Equal(DnsLookupStatus.NoAnswer, lookup.Status);
        Assert.Equal(3, net.Resolver.Stats.DroppedMalformed); // the query and its two retries
        Assert.Equal(0, net.Resolver.PendingLookups);
    }

    [Fact] // RFC 1536 §1: a query lost on the link is sent again; a lookup fails only when every query was lost
    public void Lost_queries_are_recovered_by_retries()
    {
        int recovered = 0;
        for (ulong seed = 1; seed <= 30; seed++)
        {
            var lossy = LinkProfile.Perfect with { Delay = TimeSpan.FromMilliseconds(1), Loss = 0.3 };
            var net = new DnsTestNetwork([Server1], clientToServer: lossy, seed: seed);
            net.Host(Server1).Serve(new() { ["web.usertcp.test"] = [Web] });
            var lookup = net.Complete(net.Resolve("web.usertcp.test"));
            int arrived = net.Host(Server1).Queries.Count;
            if (lookup.Status == DnsLookupStatus.Resolved)
            {
                Assert.Equal([Web], lookup.Addresses);
                if (arrived < lookup.QueriesSent) recovered++; // a query was lost and a retry got through
            }
            else
            {
                Assert.Equal(0, arrived); // nothing reached the server: every query, or the ARP exchange, was lost
                Assert.Contains(lookup.Status, new[] { DnsLookupStatus.NoAnswer, DnsLookupStatus.ServersUnreachable });
            }
        }
        Assert.True(recovered >= 3, $"only {recovered} of 30 seeds lost a query and recovered");
    }

    [Fact] // RFC 5452 §9.2: every lookup its own unpredictable ID over the full 16 bits and port over the dynamic range
    public void Ids_and_ports_are_random_and_many_lookups_run_at_once()
    {
        var net = new DnsTestNetwork([Server1]);
        var zone = Enumerable.Range(0, 300).ToDictionary(i => $"h{i}.usertcp.test", i => new[] { new Ipv4Address(10, 0, (byte)(i >> 8), (byte)i) });
        net.Host(Server1).Serve(zone);
        net.Complete(net.Resolve("h0.usertcp.test")); // ARP resolved first, so no query waits behind it
        var lookups = Enumerable.Range(0, 300).Select(i => net.Resolve($"h{i}.usertcp.test")).ToList();
        Assert.Equal(300, net.Resolver.PendingLookups);
        Assert.True(net.RunUntil(() => lookups.All(l => l.IsCompleted), TimeSpan.FromSeconds(10)));
        Assert.All(lookups, (l, i) => Assert.Equal(zone[$"h{i}.usertcp.test"], l.Addresses)); // each got its own answer
        Assert.Equal(300, lookups.Select(l => l.SourcePort).Distinct().Count());
        Assert.True(lookups.Select(l => l.Id).Distinct().Count() >= 295, "IDs repeat far more than chance would");
        Assert.All(lookups, l => Assert.InRange(l.SourcePort, StubResolver.FirstSourcePort, 65535));
        AssertSpread(lookups.Select(l => (int)l.Id).ToList(), 0, 65536);
        AssertSpread(lookups.Select(l => (int)l.SourcePort).ToList(), StubResolver.FirstSourcePort, 65536);
        Assert.Equal(0, net.Resolver.PendingLookups);
    }

    /// <summary>Each quarter of the range holds a fair share, and consecutive values are not a sequence.</summary>
    private static void AssertSpread(List<int> values, int low, int high)
    {
        int quarter = (high - low) / 4;
        for (int q = 0; q < 4; q++)
        {
            int count = values.Count(v => v >= low + q * quarter && v < low + (q + 1) * quarter);
            Assert.InRange(count, values.Count / 8, values.Count * 3 / 8);
        }
        int small = values.Zip(values.Skip(1), (a, b) => Math.Abs(b - a)).Count(d => d <= 16);
        Assert.True(small < values.Count / 20, $"{small} consecutive values within 16 of each other");
    }

    [Theory] // RFC 1035 §2.3.4: a name no query can carry fails at once with a clear message, and nothing is sent
    [InlineData("")]
    [InlineData("a..usertcp.test")]
    [InlineData("café.usertcp.test")]
    [InlineData("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.test")]
    public void Invalid_names_fail_clearly_without_a_packet(string name)
    {
        var net = new DnsTestNetwork([Server1]);
        net.Idle(TimeSpan.FromSeconds(1)); // the gratuitous ARP goes out first
        long sent = net.ClientDevice.Stats.FramesSent;
        var lookup = net.Resolve(name);
        Assert.Equal(DnsLookupStatus.InvalidName, lookup.Status);
        Assert.Equal($"'{name}' is not a valid host name (DNS labels are 1 to 63 ASCII characters, a name at most 253)", lookup.Failure);
        Assert.Equal(sent, net.ClientDevice.Stats.FramesSent);
        Assert.Equal(0, net.Resolver.PendingLookups);
    }

    [Fact] // a name over 253 characters is refused the same way
    public void Overlong_name_fails_clearly() =>
        Assert.Equal(DnsLookupStatus.InvalidName, new DnsTestNetwork([Server1]).Resolve(string.Join('.', Enumerable.Repeat("abcdefghi", 26))).Status);

    [Fact] // an IPv4 literal is its own address: no query, no port, completed before Resolve returns
    public void Ipv4_literal_never_reaches_the_wire()
    {
        var net = new DnsTestNetwork([Server1]);
        net.Idle(TimeSpan.FromSeconds(1));
        long sent = net.ClientDevice.Stats.FramesSent;
        bool called = false;
        var lookup = net.Resolve("198.18.0.9", _ => called = true);
        Assert.True(called);
        Assert.Equal(DnsLookupStatus.Resolved, lookup.Status);
        Assert.Equal([new Ipv4Address(198, 18, 0, 9)], lookup.Addresses);
        net.Idle(TimeSpan.FromSeconds(5));
        Assert.Equal(sent, net.ClientDevice.Stats.FramesSent);
        Assert.Empty(net.Host(Server1).Queries);
    }

    [Fact] // no ARP reply for the server: it is unreachable once ARP gives up (3 requests, 1 s apart), not after every retry
    public void Server_nobody_holds_is_unreachable()
    {
        var nobody = new Ipv4Address(198, 18, 0, 77);
        var net = new DnsTestNetwork([nobody]);
        var start = net.Now;
        var lookup = net.Complete(net.Resolve("web.usertcp.test"));
        Assert.Equal(DnsLookupStatus.ServersUnreachable, lookup.Status);
        Assert.Equal(TimeSpan.FromSeconds(3), lookup.CompletedAt - start);
        Assert.Equal("web.usertcp.test: cannot reach the DNS server (198.18.0.77: no ARP reply from the next hop; gave up after 3.0 s)", lookup.Failure);
    }

    [Fact] // off the subnet without a gateway: nothing can be sent, and the lookup fails at once
    public void Server_without_a_route_fails_at_once()
    {
        var net = new DnsTestNetwork([new Ipv4Address(203, 0, 113, 53)]);
        var start = net.Now;
        var lookup = net.Complete(net.Resolve("web.usertcp.test"));
        Assert.Equal(DnsLookupStatus.NoRoute, lookup.Status);
        Assert.Equal(start, lookup.CompletedAt);
        Assert.Equal("web.usertcp.test: no route to the DNS server (203.0.113.53: no route (off the subnet and no gateway); gave up after 0.0 s)", lookup.Failure);
    }

    [Fact] // RFC 1122 §4.1.3.3: ICMP port unreachable quoting our query takes that server out at once
    public void Icmp_port_unreachable_moves_to_the_next_server()
    {
        var net = new DnsTestNetwork([Server1, Server2]);
        net.Host(Server1).OnQuery = (server, q) => SendPortUnreachable(server, q);
        net.Host(Server2).Serve(new() { ["web.usertcp.test"] = [Web] });
        var start = net.Now;
        var lookup = net.Complete(net.Resolve("web.usertcp.test"));
        Assert.Equal(Server2, lookup.AnsweredBy);
        Assert.True(lookup.CompletedAt - start < TimeSpan.FromMilliseconds(10), $"took {lookup.CompletedAt - start}");

        var alone = new DnsTestNetwork([Server1]);
        alone.Host(Server1).OnQuery = (server, q) => SendPortUnreachable(server, q);
        var failed = alone.Complete(alone.Resolve("web.usertcp.test"));
        Assert.Equal(DnsLookupStatus.NoAnswer, failed.Status);
        Assert.Contains("198.18.0.1: no DNS service (ICMP port unreachable)", failed.Failure);
    }

    private static void SendPortUnreachable(ScriptedDnsServer server, DnsQuestion query) =>
        server.Transmit(IcmpUnreachableFrame.Build(server.Mac, server.Address, ClientMac, query.Client, code: 3,
                                                   server.Address, query.ClientPort, StubResolver.ServerPort));

    [Fact] // RFC 1035 §4.2.1: TC without any address is a failure that says so; TC with addresses uses what fit
    public void Truncated_answers()
    {
        var net = new DnsTestNetwork([Server1, Server2]);
        net.Host(Server1).OnQuery = (server, q) => server.Reply(q, q.Name == "big.usertcp.test"
            ? DnsWire.Response(q, truncated: true, answers: [DnsRecord.A(q.Name, Web)])
            : DnsWire.Response(q, truncated: true));
        var empty = net.Complete(net.Resolve("cut.usertcp.test"));
        Assert.Equal(DnsLookupStatus.Truncated, empty.Status);
        Assert.Equal("cut.usertcp.test: the answer from 198.18.0.1 was truncated (TC) before any address, and this resolver does not retry over TCP", empty.Failure);
        Assert.Empty(net.Host(Server2).Queries);
        var partial = net.Complete(net.Resolve("big.usertcp.test"));
        Assert.Equal([Web], partial.Addresses);
    }

    [Fact] // cancelling frees the port at once; no callback, no timer left
    public void Cancel_releases_everything()
    {
        var net = new DnsTestNetwork([Server1]);
        bool called = false;
        var lookup = net.Resolve("silent.usertcp.test", _ => called = true);
        Assert.True(net.Client.Interface.IsUdpBound(lookup.SourcePort));
        net.RunUntil(() => net.Host(Server1).Queries.Count == 1, TimeSpan.FromSeconds(1));
        net.Resolver.Cancel(lookup, net.Now);
        Assert.Equal(DnsLookupStatus.Cancelled, lookup.Status);
        Assert.False(net.Client.Interface.IsUdpBound(lookup.SourcePort));
        Assert.True(net.Resolver.NextDeadline.IsNever);
        net.Idle(TimeSpan.FromSeconds(30));
        Assert.False(called);
        Assert.Single(net.Host(Server1).Queries);
    }

    [Fact] // the poll loop must not spin: an idle resolver adds no deadline, a pending lookup exactly its retry time
    public void Idle_resolver_adds_no_deadline()
    {
        var net = Answering(Server1);
        Assert.True(net.Resolver.NextDeadline.IsNever);
        var start = net.Now;
        var lookup = net.Resolve("web.usertcp.test");
        Assert.Equal(start + TimeSpan.FromSeconds(1), net.Resolver.NextDeadline);
        Assert.Equal(net.Resolver.NextDeadline, net.Client.NextDeadline);
        net.Complete(lookup);
        Assert.True(net.Resolver.NextDeadline.IsNever);
        Assert.Equal(net.Client.Interface.NextDeadline, net.Client.NextDeadline);
        long turns = net.Client.Turns;
        net.Idle(TimeSpan.FromSeconds(60));
        Assert.True(net.Client.Turns - turns < 5, $"{net.Client.Turns - turns} turns in an idle minute");
    }

    [Fact] // host-local servers (systemd-resolved's 127.0.0.53) are not asked: the failure says why
    public void Loopback_servers_are_not_asked()
    {
        var net = new DnsTestNetwork([new Ipv4Address(127, 0, 0, 53)]);
        Assert.Empty(net.Resolver.Servers);
        var lookup = net.Resolve("web.usertcp.test");
        Assert.Equal(DnsLookupStatus.NoServers, lookup.Status);
        Assert.Equal("web.usertcp.test: no DNS server this stack can reach (NetworkStackOptions.DnsServers lists only 127.0.0.53: "
                     + "the host's own resolver on loopback, which a user-space stack does not share)", lookup.Failure);
        var none = new DnsTestNetwork([]).Resolve("web.usertcp.test");
        Assert.Equal(DnsLookupStatus.NoServers, none.Status);
        Assert.Equal("web.usertcp.test: no DNS server to ask (none in NetworkStackOptions.DnsServers)", none.Failure);
    }
}
