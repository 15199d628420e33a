namespace UserTcp.Fast.Wire;

/// <summary>
/// Outcome of a validating parse. Parsers never throw on bad bytes: they return one of these, and callers
/// count the non-<see cref="Ok"/> values as drops by reason.
/// </summary>
public enum WireStatus : byte
{
    Ok = 0,
    /// <summary>The buffer is shorter than the fixed header, or than a length field inside it claims.</summary>
    Truncated,
    /// <summary>A protocol or format this layer does not handle (802.3 length field, stacked VLAN tags, ARP for non-IPv4/Ethernet).</summary>
    Unsupported,
    /// <summary>IPv4 version field is not 4.</summary>
    BadVersion,
    /// <summary>IPv4 IHL below 5, or TCP data offset below 5.</summary>
    BadHeaderLength,
    /// <summary>A total/length field is smaller than the header it must contain.</summary>
    BadLength,
    /// <summary>A checksum that must be valid is not.</summary>
    BadChecksum,
    /// <summary>A TCP option whose length byte is missing, below 2, runs past the header, or is wrong for its kind.</summary>
    BadOption,
    /// <summary>An ARP operation other than request or reply.</summary>
    BadOperation,
}

/// <summary>Result of checking a transport checksum that may legitimately be absent (UDP) or offloaded.</summary>
public enum ChecksumVerdict : byte
{
    Valid,
    Invalid,
    /// <summary>UDP checksum field is zero: the sender did not compute one (RFC 768).</summary>
    Absent,
    /// <summary>
    /// The field holds only the folded pseudo-header sum: a frame from a local kernel with checksum offload
    /// (CHECKSUM_PARTIAL), whose device would have finished the sum. Trust it only on a link known to be local.
    /// </summary>
    Partial,
}

public enum EtherType : ushort
{
    Ipv4 = 0x0800,
    Arp = 0x0806,
    Vlan = 0x8100,
    Ipv6 = 0x86DD,
}

public enum IpProtocol : byte
{
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
}
