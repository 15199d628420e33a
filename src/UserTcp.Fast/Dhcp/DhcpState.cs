namespace UserTcp.Fast.Dhcp;

/// <summary>The client's states (RFC 2131 §4.4, figure 5), with the RFC 5227 probe between the ACK and BOUND.</summary>
internal enum DhcpState
{
    /// <summary>Not started, or waiting to start again (after a DECLINE, RFC 2131 §3.1.5).</summary>
    Init,
    /// <summary>DISCOVER sent, waiting for an OFFER.</summary>
    Selecting,
    /// <summary>REQUEST sent for an offer, waiting for the ACK.</summary>
    Requesting,
    /// <summary>ACK received; ARP probes ask whether anyone holds the address (RFC 5227 §2.1.1) before it is used.</summary>
    Probing,
    Bound,
    /// <summary>T1 passed: REQUESTs go to the lease's server.</summary>
    Renewing,
    /// <summary>T2 passed: REQUESTs are broadcast to any server.</summary>
    Rebinding,
    /// <summary>No lease after every retransmission: the client stopped (<see cref="DhcpClient.Failure"/> says why).</summary>
    Failed,
    /// <summary>The lease was given back (RELEASE) and the client stopped.</summary>
    Released,
}
