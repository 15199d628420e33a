namespace UserTcp.Fast.Dns;

/// <summary>Counters of a <see cref="StubResolver"/>. Only the poll-loop thread writes them.</summary>
internal sealed class DnsResolverStats
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
