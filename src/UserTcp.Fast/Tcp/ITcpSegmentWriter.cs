using UserTcp.Fast.Buffers;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tcp;

/// <summary>
/// Where the engine writes outgoing segments: <see cref="Begin"/> lends a buffer for one TCP segment (header and
/// payload: at least <see cref="TcpConfig.MaxSegmentSize"/> + 20 bytes, or <see cref="TcpStack.OffloadSegmentBytes"/> when
/// that is set; the engine never writes more) between two addresses, or an empty span when none is free (the engine stops
/// and tries again at the next flush); <see cref="Commit(int, int)"/> says how many bytes the segment took. Implemented by the IP
/// layer or a test.
/// </summary>
internal interface ITcpSegmentWriter
{
    Span<byte> Begin(Ipv4Address source, Ipv4Address destination);

    /// <param name="segmentLength">Bytes written (header and payload); 0: nothing (the buffer goes back unused).</param>
    /// <param name="segmentSize">0 for an ordinary segment. Otherwise the segment carries more than one MSS of payload and a
    /// partial checksum (<see cref="TcpStack.OffloadSegmentBytes"/>): the device must cut it into segments of this much
    /// payload each (GSO's gso_size).</param>
    void Commit(int segmentLength, int segmentSize);

    /// <summary>Whether <see cref="Commit(int, int, in SegmentPayload)"/> may be used: the output hands a segment to be
    /// segmented to its device with the payload by reference, so the engine need not copy it into the buffer.</summary>
    bool TakesPayloadByReference { get; }

    /// <summary>A segment to be segmented (<paramref name="segmentSize"/> above 0) whose header, <paramref name="headerLength"/>
    /// bytes with the partial checksum of the whole segment, is in the buffer and whose payload is still in the send buffer
    /// (<paramref name="payload"/>). Only when <see cref="TakesPayloadByReference"/>.</summary>
    void Commit(int headerLength, int segmentSize, in SegmentPayload payload);
}
