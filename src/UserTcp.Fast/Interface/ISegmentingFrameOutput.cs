using UserTcp.Fast.Buffers;

namespace UserTcp.Fast.Interface;

/// <summary>
/// An output whose device segments large TCP/IPv4 frames itself (GSO): the interface then lets the TCP layer write segments
/// of several MSS (<see cref="Tcp.TcpStack.OffloadSegmentBytes"/>) and hands each over whole.
/// </summary>
internal interface ISegmentingFrameOutput : IFrameOutput
{
    /// <summary>The largest frame (Ethernet header included) <see cref="TransmitSegmented(ReadOnlySpan{byte}, int)"/> takes; 0 when the device cannot
    /// segment. It can fall to 0 during a <see cref="TransmitSegmented(ReadOnlySpan{byte}, int)"/> call, when the device finds it cannot segment after
    /// all (that frame is then dropped): the interface reads it after each such call and goes back to MSS-sized frames.</summary>
    int MaxSegmentedFrameBytes { get; }

    /// <summary>Sends a TCP/IPv4 frame longer than the MTU whose TCP checksum holds the pseudo-header sum of the whole
    /// segment; the device cuts it into segments of <paramref name="segmentSize"/> payload bytes. The span is only valid
    /// during the call.</summary>
    void TransmitSegmented(ReadOnlySpan<byte> frame, int segmentSize);

    /// <summary>Whether the output takes a frame to be segmented as headers and a payload by reference
    /// (<see cref="TransmitSegmented(ReadOnlySpan{byte}, in SegmentPayload, int)"/>).</summary>
    bool TakesPayloadByReference { get; }

    /// <summary>As <see cref="TransmitSegmented(ReadOnlySpan{byte}, int)"/>, for the frame made of <paramref name="headers"/>
    /// (Ethernet, IPv4 and TCP) followed by <paramref name="payload"/>'s bytes, which stay where they are: the output may
    /// keep referring to them until <see cref="SettlePayloads"/>.</summary>
    void TransmitSegmented(ReadOnlySpan<byte> headers, in SegmentPayload payload, int segmentSize);

    /// <summary>Ends every reference to payloads taken by reference: frames sent, or those that must wait copied into
    /// buffers of the output's own. Called at the end of each flush that handed one over, before the next acknowledgment
    /// can free the bytes.</summary>
    void SettlePayloads();
}
