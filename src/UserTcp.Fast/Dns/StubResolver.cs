using System.Globalization;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Dns;

/// <summary>
/// A stub resolver (RFC 1034 §5.3.1) for IPv4 A records over the interface's own UDP, sans-IO like the TCP engine:
/// lookups start at a given <c>now</c>, answers arrive through <see cref="IUdpReceiver"/>, retries run when the owner
/// calls <see cref="OnTimers"/> at <see cref="NextDeadline"/> (<see cref="Instant.Never"/> when idle).
/// <para>
/// Each lookup draws its own query ID and UDP source port (RFC 5452 §9.2), so many run at once. A response counts only
/// when it comes from a server this lookup asked, from port 53, to the lookup's port, with its ID and question
/// (RFC 5452 §3); anything else is counted in <see cref="Stats"/> and the lookup keeps waiting.
/// </para>
/// <para>
/// Schedule (RFC 1035 §7.2, RFC 1536 §1): round r asks each server still in play in turn and waits
/// <see cref="DnsSettings.Timeout"/> × 2^r for it, for <see cref="DnsSettings.Attempts"/> rounds. NXDOMAIN and NODATA
/// end the lookup (RFC 2308 §2.1, §2.2: the answer about the name is final); SERVFAIL, REFUSED, any other RCODE and an
/// unreachable server take that server out at once (RFC 1034 §5.3.3 step 4d) and the next one is asked.
/// </para>
/// Names are fully qualified: no search list. Only the poll-loop thread may call it.
/// </summary>
internal sealed class StubResolver : IUdpReceiver
{
    public const ushort ServerPort = 53;
    /// <summary>Source ports are drawn from the dynamic range (RFC 6335 §6), away from ports services bind.</summary>
    public const int FirstSourcePort = 49152;
    /// <summary>RFC 1035 §2.3.4: a UDP message is at most 512 bytes; an A query for any valid name fits.</summary>
    private const int MaxUdpMessage = 512;
    /// <summary>Random draws for a free source port before giving up (only thousands of lookups in flight make them fail).</summary>
    private const int PortDraws = 64;

    private readonly NetworkInterface _nic;
    private DnsSettings _settings;
    private Ipv4Address[] _servers;
    private Ipv4Address[] _hostLocalServers;
    private readonly DeterministicRandom? _random;
    private readonly Dictionary<ushort, DnsLookup> _lookups = new();
    private readonly List<DnsLookup> _due = new();

    /// <param name="random">Where IDs and ports come from: a seeded source for reproducible tests; null (production)
    /// for the operating system's cryptographic generator, since RFC 5452 §9.2 needs them unpredictable and an
    /// observer of a few outputs of a non-cryptographic generator can predict the rest.</param>
    public StubResolver(NetworkInterface nic, DnsSettings settings, DeterministicRandom? random = null)
    {
        _nic = nic;
        _random = random;
        UseSettings(settings);
    }

    /// <summary>Asks these servers from now on (a DHCP lease's); lookups in flight keep theirs.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_settings), nameof(_servers), nameof(_hostLocalServers))]
    public void UseSettings(DnsSettings settings)
    {
        _settings = settings;
        var distinct = settings.Servers.Distinct().ToArray();
        // RFC 1122 §3.2.1.3: 127/8 (and 0.0.0.0, "this host") never leave a host, and the host's resolver behind them
        // (systemd-resolved's 127.0.0.53, for one) belongs to its kernel stack, which this stack does not share.
        _hostLocalServers = distinct.Where(IsHostLocal).ToArray();
        _servers = distinct.Where(s => !IsHostLocal(s)).ToArray();
    }

    /// <summary>The servers asked, in order (the configured ones minus host-local addresses).</summary>
    public IReadOnlyList<Ipv4Address> Servers => _servers;
    public DnsResolverStats Stats { get; } = new();
    public int PendingLookups => _lookups.Count;

    /// <summary>
    /// Starts looking up <paramref name="name"/>'s A records. An IPv4 literal resolves to itself without a packet; an
    /// invalid name, or no server to ask, fails at once. <paramref name="completed"/> runs once when the lookup ends
    /// (not when it is cancelled), possibly before this returns.
    /// </summary>
    public DnsLookup Resolve(string name, Instant now, Action<DnsLookup>? completed = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        Stats.Lookups++;
        var lookup = new DnsLookup(name, now, completed);
        if (Ipv4Address.TryParse(name, out var literal))
        {
            lookup.Succeed([literal], [], 0, null, now);
            completed?.Invoke(lookup);
            return lookup;
        }
        var query = new byte[MaxUdpMessage];
        int length;
        try
        {
            // RFC 5452 §9.2: the full 16-bit ID space.
            lookup.Id = (ushort)NextInt(0, 1 << 16);
            length = DnsMessage.WriteQuery(query, lookup.Id, name);
        }
        catch (ArgumentException)
        {
            return End(lookup, DnsLookupStatus.InvalidName,
                $"'{name}' is not a valid host name (DNS labels are 1 to 63 ASCII characters, a name at most 253)", now);
        }
        if (_servers.Length == 0)
        {
            string failure = _hostLocalServers.Length > 0
                ? $"{name}: no DNS server this stack can reach ({_settings.Origin} lists only {string.Join(", ", _hostLocalServers)}: "
                  + "the host's own resolver on loopback, which a user-space stack does not share)"
                : $"{name}: no DNS server to ask (none in {_settings.Origin})";
            return End(lookup, DnsLookupStatus.NoServers, failure, now);
        }
        if (!TryBindSourcePort(lookup))
            return End(lookup, DnsLookupStatus.NoFreePort, $"{name}: no free UDP port for the query ({_lookups.Count} lookups in flight)", now);
        lookup.Query = query[..length];
        lookup.Servers = _servers.Select(s => new DnsLookup.ServerState(s)).ToArray();
        _lookups.Add(lookup.SourcePort, lookup);
        SendCurrent(lookup, now);
        return lookup;
    }

    /// <summary>Abandons a lookup: its port is unbound at once and its completion callback never runs.</summary>
    public void Cancel(DnsLookup lookup, Instant now)
    {
        if (lookup.IsCompleted) return;
        Release(lookup);
        lookup.Fail(DnsLookupStatus.Cancelled, $"{lookup.Name}: lookup cancelled", now);
    }

    /// <summary>The earliest retry or pending event of any lookup; <see cref="Instant.Never"/> when none is in flight.</summary>
    public Instant NextDeadline
    {
        get
        {
            var next = Instant.Never;
            foreach (var lookup in _lookups.Values) next = Instant.Min(next, lookup.Deadline);
            return next;
        }
    }

    /// <summary>Moves on every lookup whose wait ran out or whose server failed: the next server, the next round, or failure.</summary>
    public void OnTimers(Instant now)
    {
        _due.Clear();
        foreach (var lookup in _lookups.Values)
            if (lookup.Deadline <= now) _due.Add(lookup);
        foreach (var lookup in _due)
            if (!lookup.IsCompleted) MoveOn(lookup, now); // a completion callback may have cancelled one meanwhile
    }

    void IUdpReceiver.OnDatagram(Ipv4Address source, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, Instant at)
    {
        var lookup = _lookups[destinationPort]; // the interface only hands us ports we bound, and we unbind when a lookup ends
        var server = AskedServer(lookup, source);
        if (server is null || sourcePort != ServerPort)
        {
            Stats.DroppedWrongSource++;
            return;
        }
        switch (DnsMessage.TryParseResponse(payload, lookup.Id, lookup.Name, out var answer))
        {
            case WireStatus.Ok:
                break;
            case WireStatus.Unsupported: // another ID or question, not a response, or a CNAME loop
                Stats.DroppedMismatched++;
                return;
            default:
                Stats.DroppedMalformed++;
                return;
        }
        Stats.ResponsesAccepted++;
        switch (answer!.ResponseCode)
        {
            // RFC 1035 §4.2.1: what did not fit in 512 bytes was cut and TC set. An A answer that long carries dozens of
            // addresses, and any one of them serves a connection, so what fit is used (RFC 2181 §9 would ask again over
            // TCP for the whole set). Only a cut before the first address fails, saying why.
            case DnsResponseCode.NoError when answer.Addresses.Count > 0:
                Release(lookup);
                lookup.Succeed(answer.Addresses, answer.Aliases, answer.TimeToLiveSeconds, server.Address, at);
                lookup.Completed?.Invoke(lookup);
                break;
            case DnsResponseCode.NoError when answer.Truncated:
                End(lookup, DnsLookupStatus.Truncated,
                    $"{lookup.Name}: the answer from {server.Address} was truncated (TC) before any address, and this resolver does not retry over TCP",
                    at, server.Address, answer.Aliases);
                break;
            case DnsResponseCode.NoError: // RFC 2308 §2.2: NODATA
                End(lookup, DnsLookupStatus.NoAddresses,
                    $"{lookup.Name}: no IPv4 address for this name{AliasNote(lookup.Name, answer.Aliases)} (no A record in the answer from {server.Address})",
                    at, server.Address, answer.Aliases);
                break;
            case DnsResponseCode.NameError: // RFC 2308 §2.1: NXDOMAIN
                End(lookup, DnsLookupStatus.NameDoesNotExist,
                    $"{lookup.Name}: name does not exist (NXDOMAIN from {server.Address})", at, server.Address, answer.Aliases);
                break;
            default: // RFC 1034 §5.3.3 step 4d: a server failure or a refusal takes the server out; the next is asked
                server.Error = answer.ResponseCode;
                MoveOnSoon(lookup, server, at);
                break;
        }
    }

    /// <summary>No route, no ARP reply or ICMP unreachable for a server this lookup asked: it is out (RFC 1122 §4.1.3.3).</summary>
    void IUdpReceiver.OnUnreachable(ushort localPort, Ipv4Address destination, UnreachableReason reason, Instant at)
    {
        if (!_lookups.TryGetValue(localPort, out var lookup) || AskedServer(lookup, destination) is not { IsOut: false } server) return;
        server.Unreachable = reason;
        MoveOnSoon(lookup, server, at);
    }

    /// <summary>Makes the lookup due now when <paramref name="server"/> (just taken out) is the one it waits for: the next
    /// timers move it on, never this call, which may come from inside the interface's receive or send.</summary>
    private static void MoveOnSoon(DnsLookup lookup, DnsLookup.ServerState server, Instant at)
    {
        if (server == lookup.Servers[lookup.ServerIndex]) lookup.Deadline = Instant.Min(lookup.Deadline, at);
    }

    private void MoveOn(DnsLookup lookup, Instant now)
    {
        if (!lookup.Servers[lookup.ServerIndex].IsOut) Stats.Timeouts++;
        do
        {
            if (++lookup.ServerIndex == lookup.Servers.Length)
            {
                lookup.ServerIndex = 0;
                lookup.Round++;
            }
            if (lookup.Round == _settings.Attempts || lookup.Servers.All(s => s.IsOut))
            {
                GiveUp(lookup, now);
                return;
            }
        } while (lookup.Servers[lookup.ServerIndex].IsOut);
        SendCurrent(lookup, now);
    }

    private void SendCurrent(DnsLookup lookup, Instant now)
    {
        var server = lookup.Servers[lookup.ServerIndex];
        if (lookup.QueriesSent > 0) Stats.Retries++;
        lookup.QueriesSent++;
        server.QueriesSent++;
        Stats.QueriesSent++;
        // Armed before sending: a send without a route reports it at once, and that report must win.
        lookup.Deadline = now + TimeSpan.FromTicks(_settings.Timeout.Ticks << lookup.Round);
        _nic.SendUdp(lookup.SourcePort, server.Address, ServerPort, lookup.Query, now);
    }

    /// <summary>Every server is out or every round is spent: the failure says what each server did.</summary>
    private void GiveUp(DnsLookup lookup, Instant now)
    {
        var servers = lookup.Servers;
        var (status, what) =
            servers.All(s => s.Unreachable == UnreachableReason.NoRoute) ? (DnsLookupStatus.NoRoute, "no route to")
            : servers.All(s => s.Unreachable is { } reason && reason != UnreachableReason.PortUnreachable) ? (DnsLookupStatus.ServersUnreachable, "cannot reach")
            : (DnsLookupStatus.NoAnswer, "no usable answer from");
        string plural = servers.Length == 1 ? "DNS server" : "DNS servers";
        string seconds = (now - lookup.StartedAt).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        End(lookup, status, $"{lookup.Name}: {what} the {plural} ({string.Join("; ", servers.Select(Describe))}; gave up after {seconds} s)", now);
    }

    private static string Describe(DnsLookup.ServerState server) => $"{server.Address}: " + (server.Unreachable switch
    {
        UnreachableReason.NoRoute => "no route (off the subnet and no gateway)",
        UnreachableReason.NoArpReply => "no ARP reply from the next hop",
        UnreachableReason.NetworkUnreachable => "network unreachable (ICMP)",
        UnreachableReason.HostUnreachable => "host unreachable (ICMP)",
        UnreachableReason.PortUnreachable => "no DNS service (ICMP port unreachable)",
        _ => server.Error switch
        {
            DnsResponseCode.ServerFailure => "SERVFAIL",
            DnsResponseCode.Refused => "REFUSED",
            DnsResponseCode.NotImplemented => "NOTIMP",
            DnsResponseCode.FormatError => "FORMERR",
            { } code => $"RCODE {(int)code}",
            null => server.QueriesSent == 1 ? "no response to 1 query" : $"no response to {server.QueriesSent} queries",
        },
    });

    private static string AliasNote(string name, IReadOnlyList<string> aliases) =>
        aliases.Count == 0 ? "" : $" ({name} is an alias of {aliases[^1]})";

    private static DnsLookup.ServerState? AskedServer(DnsLookup lookup, Ipv4Address address)
    {
        foreach (var server in lookup.Servers)
            if (server.Address == address && server.QueriesSent > 0) return server;
        return null;
    }

    private bool TryBindSourcePort(DnsLookup lookup)
    {
        for (int draw = 0; draw < PortDraws; draw++)
        {
            ushort port = _nic.Config.LocalPorts is { } ports
                ? (ushort)NextInt(ports.First, ports.Last + 1) // a shared host address: only our reserved ports reach us
                : (ushort)NextInt(FirstSourcePort, 1 << 16);
            if (!_nic.TryBindUdp(port, this)) continue;
            lookup.SourcePort = port;
            return true;
        }
        return false;
    }

    private DnsLookup End(DnsLookup lookup, DnsLookupStatus status, string failure, Instant now, Ipv4Address? server = null, IReadOnlyList<string>? aliases = null)
    {
        Release(lookup);
        lookup.Fail(status, failure, now, server, aliases);
        lookup.Completed?.Invoke(lookup);
        return lookup;
    }

    /// <summary>Unbinds the lookup's port, if it got one, and forgets it.</summary>
    private void Release(DnsLookup lookup)
    {
        if (lookup.SourcePort == 0 || !_lookups.Remove(lookup.SourcePort)) return;
        _nic.UnbindUdp(lookup.SourcePort);
    }

    private int NextInt(int minInclusive, int maxExclusive) =>
        _random?.Next(minInclusive, maxExclusive) ?? SystemRandom.NextInt32(minInclusive, maxExclusive);

    private static bool IsHostLocal(Ipv4Address address) => address.Value >> 24 == 127 || address == Ipv4Address.Any;
}
