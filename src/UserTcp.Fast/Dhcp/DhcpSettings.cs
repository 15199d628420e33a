namespace UserTcp.Fast.Dhcp;

/// <summary>How patiently the DHCP client asks, and how long it probes an offered address.</summary>
internal sealed record DhcpSettings
{
    /// <summary>RFC 2131 §4.1: the first retransmission after 4 s, doubling to at most 64 s, each ±1 s at random.</summary>
    public TimeSpan FirstRetransmission { get; init; } = TimeSpan.FromSeconds(4);
    public TimeSpan MaxRetransmission { get; init; } = TimeSpan.FromSeconds(64);
    public TimeSpan Jitter { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>DISCOVERs (or REQUESTs for an offer) sent before the client gives up: 5 waits 4+8+16+32+64 s, about two
    /// minutes, as the RFC's example schedule does.</summary>
    public int Attempts { get; init; } = 5;
    /// <summary>
    /// ARP probes for the offered address and how long to listen after each (RFC 5227 §2.1.1). The RFC's timing (3 probes
    /// 1–2 s apart, then 2 s) would hold every start-up for 4–7 s; one probe and 20 ms catch any host on a LAN that holds
    /// the address (an ARP reply takes well under a millisecond there) at a price of 20 ms.
    /// </summary>
    public int Probes { get; init; } = 1;
    public TimeSpan ProbeWait { get; init; } = TimeSpan.FromMilliseconds(20);
    /// <summary>RFC 2131 §3.1.5: after a DECLINE, wait at least 10 s before asking again.</summary>
    public TimeSpan DeclineWait { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>RFC 2131 §4.4.5: renewal and rebinding retransmit after half the time left, but at least after this.</summary>
    public TimeSpan MinRenewalRetransmission { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>
    /// Addresses the host's kernel holds on the interface. The stack shares the interface's MAC with the kernel, so a server
    /// that knows clients by MAC only offers the host's own lease, and no ARP probe can tell: the kernel never sees the
    /// frames the stack sends. Such an offer ends the client with a clear failure, and without a DECLINE, which would make
    /// the server withdraw the address from the host.
    /// </summary>
    public IReadOnlySet<Wire.Ipv4Address> HostAddresses { get; init; } = new HashSet<Wire.Ipv4Address>();
    /// <summary>Option 12, sent when set.</summary>
    public string? HostName { get; init; }

    public void Validate()
    {
        if (Attempts < 1) throw new ArgumentOutOfRangeException(nameof(Attempts), Attempts, "at least one attempt");
        if (Probes < 0) throw new ArgumentOutOfRangeException(nameof(Probes), Probes, "probes are 0 or more");
        if (FirstRetransmission <= Jitter) throw new ArgumentOutOfRangeException(nameof(FirstRetransmission), "the first wait must exceed the jitter");
        if (HostName is { Length: > 255 } || (HostName is not null && !System.Text.Ascii.IsValid(HostName)))
            throw new ArgumentException("a host name is at most 255 ASCII characters", nameof(HostName));
    }
}
