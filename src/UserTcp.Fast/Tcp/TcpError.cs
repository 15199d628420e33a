namespace UserTcp.Fast.Tcp;

/// <summary>Why a connection ended abnormally: the errors an application sees at the engine's edge.</summary>
internal enum TcpError
{
    None,
    /// <summary>Our SYN was answered by a RST (RFC 9293 §3.10.7.3).</summary>
    ConnectionRefused,
    /// <summary>The peer reset an established connection (RFC 9293 §3.10.7.4).</summary>
    ConnectionReset,
    /// <summary>Retransmissions, zero-window probes or keepalives went unanswered (RFC 9293 §3.8.3).</summary>
    TimedOut,
    /// <summary>The application aborted the connection (RFC 9293 §3.10.5).</summary>
    Aborted,
    /// <summary>The peer (or the next hop towards it) could not be reached while opening (RFC 1122 §4.2.3.9).</summary>
    HostUnreachable,
    /// <summary>The interface lost the connection's local address (its DHCP lease expired or was refused, RFC 2131 §4.4.5).</summary>
    AddressLost,
}
