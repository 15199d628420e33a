namespace UserTcp.Fast.Dhcp;

/// <summary>Counters of the DHCP client; only the poll-loop thread writes them.</summary>
internal sealed class DhcpStats
{
    public long DiscoversSent;
    public long RequestsSent;
    public long DeclinesSent;
    public long ReleasesSent;
    public long Retransmissions;
    public long OffersReceived;
    public long AcksReceived;
    public long NaksReceived;
    public long ProbesSent;
    public long Conflicts;
    public long LeasesObtained;
    public long Renewals;
    public long Expiries;
    /// <summary>Datagrams on port 68 that do not parse (truncated, bad option, overload, …).</summary>
    public long DroppedMalformed;
    /// <summary>Valid messages that are not for us or not now: another transaction, another client, a server's message in the wrong state.</summary>
    public long DroppedUnexpected;

    /// <summary>Every counter as (name, value), for --stats.</summary>
    public IEnumerable<(string Name, long Value)> All()
    {
        yield return ("dhcp discovers sent", DiscoversSent);
        yield return ("dhcp requests sent", RequestsSent);
        yield return ("dhcp retransmissions", Retransmissions);
        yield return ("dhcp offers received", OffersReceived);
        yield return ("dhcp acks received", AcksReceived);
        yield return ("dhcp naks received", NaksReceived);
        yield return ("dhcp arp probes sent", ProbesSent);
        yield return ("dhcp address conflicts (declined)", Conflicts);
        yield return ("dhcp declines sent", DeclinesSent);
        yield return ("dhcp releases sent", ReleasesSent);
        yield return ("dhcp leases obtained", LeasesObtained);
        yield return ("dhcp renewals", Renewals);
        yield return ("dhcp lease expiries", Expiries);
        yield return ("dhcp dropped: malformed", DroppedMalformed);
        yield return ("dhcp dropped: unexpected", DroppedUnexpected);
    }
}
