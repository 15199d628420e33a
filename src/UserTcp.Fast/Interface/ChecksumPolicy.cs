namespace UserTcp.Fast.Interface;

/// <summary>How TCP and UDP checksums of received frames are judged.</summary>
public enum ChecksumPolicy
{
    /// <summary>Verify, and accept a partial (offloaded) checksum only when the link says the peer may be this host.</summary>
    Auto,
    /// <summary>Every checksum must be valid: right for physical links.</summary>
    Verify,
    /// <summary>Accept valid checksums and partial ones (a local kernel's CHECKSUM_PARTIAL frames).</summary>
    AcceptPartial,
    /// <summary>Do not verify at all (counted as unchecked).</summary>
    Off,
}
