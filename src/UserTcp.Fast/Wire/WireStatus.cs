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
