using UserTcp.Fast.Interface;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Dns;

/// <summary>Where a lookup stands. Every value after <see cref="Resolved"/> is a failure, explained by <see cref="DnsLookup.Failure"/>.</summary>
public enum DnsLookupStatus
{
    Pending,
    Resolved,
    /// <summary>The name cannot be carried by a query (RFC 1035 §2.3.4: labels of 1 to 63 bytes, 255 in all).</summary>
    InvalidName,
    /// <summary>No server this stack can reach is configured.</summary>
    NoServers,
    /// <summary>NXDOMAIN (RFC 1035 §4.1.1 RCODE 3; RFC 2308 §2.1): the name does not exist.</summary>
    NameDoesNotExist,
    /// <summary>NOERROR without an A record at the end of the CNAME chain (NODATA, RFC 2308 §2.2).</summary>
    NoAddresses,
    /// <summary>TC set (RFC 1035 §4.1.1) and no address in the part that fit.</summary>
    Truncated,
    /// <summary>Every server stayed silent or failed (SERVFAIL, REFUSED, other RCODEs, ICMP port unreachable).</summary>
    NoAnswer,
    /// <summary>No server could be reached: no ARP reply from the next hop, ICMP host or network unreachable.</summary>
    ServersUnreachable,
    /// <summary>Every server is off the subnet and no gateway is configured.</summary>
    NoRoute,
    /// <summary>No UDP port was free for the query.</summary>
    NoFreePort,
    /// <summary>The owner called <see cref="StubResolver.Cancel"/>.</summary>
    Cancelled,
}

/// <summary>
/// One A-record lookup by a <see cref="StubResolver"/>: its query identity (random ID and source port, RFC 5452 §9.2),
/// the servers asked and what each did, and once complete the addresses or the reason there are none.
/// </summary>
public sealed class DnsLookup
{
    /// <summary>What one server did for this lookup.</summary>
    internal sealed class ServerState(Ipv4Address address)
    {
        public Ipv4Address Address { get; } = address;
        public int QueriesSent;
        /// <summary>Set when the server answered with an RCODE that sends us to the next server.</summary>
        public DnsResponseCode? Error;
        public UnreachableReason? Unreachable;
        /// <summary>Asked no more in this lookup: it failed in a way another query would not change.</summary>
        public bool IsOut => Error is not null || Unreachable is not null;
    }

    internal DnsLookup(string name, Instant startedAt, Action<DnsLookup>? completed)
    {
        Name = name;
        StartedAt = startedAt;
        Completed = completed;
    }

    public string Name { get; }
    public Instant StartedAt { get; }
    public DnsLookupStatus Status { get; private set; }
    public bool IsCompleted => Status != DnsLookupStatus.Pending;
    /// <summary>The query ID (RFC 1035 §4.1.1), random per lookup (RFC 5452 §9.2) and kept for its retransmissions, so a
    /// late answer to an earlier one still counts.</summary>
    public ushort Id { get; internal set; }
    /// <summary>The UDP port the queries leave from and the answer must come to, random per lookup (RFC 5452 §9.2).</summary>
    public ushort SourcePort { get; internal set; }
    /// <summary>IPv4 addresses of the name, in the order the server gave them; empty unless resolved.</summary>
    public IReadOnlyList<Ipv4Address> Addresses { get; private set; } = [];
    /// <summary>The CNAME chain from the name to the owner of the addresses (RFC 1035 §3.6.2).</summary>
    public IReadOnlyList<string> Aliases { get; private set; } = [];
    /// <summary>The smallest TTL on the chain (RFC 1035 §3.2.1), for a caller that caches.</summary>
    public uint TimeToLiveSeconds { get; private set; }
    /// <summary>The server whose response ended the lookup, if one did.</summary>
    public Ipv4Address? AnsweredBy { get; private set; }
    /// <summary>Why the lookup failed, in words a user understands (name, servers and what each did); null unless it failed.</summary>
    public string? Failure { get; private set; }
    public Instant CompletedAt { get; private set; } = Instant.Never;
    public int QueriesSent { get; internal set; }

    internal Action<DnsLookup>? Completed { get; }
    internal byte[] Query = [];
    internal ServerState[] Servers = [];
    /// <summary>Position in the schedule: round (0-based) and server index of the query in flight.</summary>
    internal int Round, ServerIndex;
    /// <summary>When the query in flight is given up, or now when an event (error RCODE, unreachable) moves the lookup on.</summary>
    internal Instant Deadline = Instant.Never;

    internal void Succeed(IReadOnlyList<Ipv4Address> addresses, IReadOnlyList<string> aliases, uint timeToLiveSeconds, Ipv4Address? server, Instant now)
    {
        Addresses = addresses;
        Aliases = aliases;
        TimeToLiveSeconds = timeToLiveSeconds;
        AnsweredBy = server;
        Finish(DnsLookupStatus.Resolved, null, now);
    }

    internal void Fail(DnsLookupStatus status, string failure, Instant now, Ipv4Address? server = null, IReadOnlyList<string>? aliases = null)
    {
        AnsweredBy = server;
        Aliases = aliases ?? [];
        Finish(status, failure, now);
    }

    private void Finish(DnsLookupStatus status, string? failure, Instant now)
    {
        Status = status;
        Failure = failure;
        CompletedAt = now;
        Deadline = Instant.Never;
    }
}

/// <summary>Counters of a <see cref="StubResolver"/>. Only the poll-loop thread writes them.</summary>
public sealed class DnsResolverStats
{
    public long Lookups;
    public long QueriesSent;
    /// <summary>Queries after the first of their lookup (another server or another round).</summary>
    public long Retries;
    public long Timeouts;
    public long ResponsesAccepted;
    /// <summary>RFC 5452 §9.1: from an address we did not ask or from a port other than 53.</summary>
    public long DroppedWrongSource;
    /// <summary>RFC 5452 §9.1: another ID, another question, or not a response.</summary>
    public long DroppedMismatched;
    public long DroppedMalformed;

    public long Dropped => DroppedWrongSource + DroppedMismatched + DroppedMalformed;
}
