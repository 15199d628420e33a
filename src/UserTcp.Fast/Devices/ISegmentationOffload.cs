using UserTcp.Fast.Buffers;

namespace UserTcp.Fast.Devices;

/// <summary>
/// A device that hands large TCP/IPv4 frames to the kernel whole, for the kernel (GSO) or the NIC (TSO) to cut into
/// MSS-sized frames: one system call and one copy per up to 64 KiB instead of per 1,514 bytes.
/// </summary>
internal interface ISegmentationOffload
{
    /// <summary>The largest frame (Ethernet header included) <see cref="SendSegmented(ReadOnlySpan{byte}, int)"/> takes; 0 when segmentation is off.</summary>
    int MaxSegmentedFrameBytes { get; }

    /// <summary>Sends (or queues) a TCP/IPv4 frame to be cut into segments of <paramref name="segmentSize"/> payload bytes,
    /// its TCP checksum partial (the pseudo-header sum of the whole segment); false when it could not even be queued.</summary>
    bool SendSegmented(ReadOnlySpan<byte> frame, int segmentSize);

    /// <summary>Whether <see cref="SendSegmented(ReadOnlySpan{byte}, in SegmentPayload, int)"/> may be used.</summary>
    bool TakesPayloadByReference { get; }

    /// <summary>As <see cref="SendSegmented(ReadOnlySpan{byte}, int)"/>, for <paramref name="headers"/> followed by
    /// <paramref name="payload"/>, which the device may refer to (not copy) until <see cref="SettlePayloads"/>.</summary>
    bool SendSegmented(ReadOnlySpan<byte> headers, in SegmentPayload payload, int segmentSize);

    /// <summary>Sends what refers to payloads, and copies what must still wait into the device's own buffers.</summary>
    void SettlePayloads();
}
