using UserTcp.Fast.Interface;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Dns;

/// <summary>
/// One A-record lookup by a <see cref="StubResolver"/>: its query identity (random ID and source port, RFC 5452 §9.2),
/// the servers asked and what each did, and once complete the addresses or the reason there are none.
/// </summary>
internal sealed class DnsLookup
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
