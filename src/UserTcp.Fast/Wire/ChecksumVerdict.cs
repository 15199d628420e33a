namespace UserTcp.Fast.Wire;

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
