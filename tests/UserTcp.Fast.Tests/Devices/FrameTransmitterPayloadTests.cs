using UserTcp.Fast.Buffers;
using UserTcp.Fast.Devices;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>
/// Frames to be segmented whose payload the transmitter takes by reference (a send buffer's chunks, pinned only during
/// the system call) and hands to the kernel as iovecs behind the headers, against a non-blocking AF_UNIX datagram pair
/// (each sendmmsg message arrives as one datagram, so the joined bytes can be checked). A frame the kernel refuses for the
/// moment must own its payload once settled: the send buffer's chunks may be rewritten by then.
/// </summary>
public sealed class FrameTransmitterPayloadTests : IDisposable
{
    private const int SegmentSize = 1448;
    private const int HeadersLength = 14 + 20 + 20;
    private readonly DatagramPair _pair = new();
    private readonly DeviceCounters _stats = new();
    private readonly FrameTransmitter _transmitter;

    public FrameTransmitterPayloadTests()
    {
        _transmitter = new FrameTransmitter(_pair.WriteEnd, "pair", _stats, queueCapacity: 32, maxFrameBytes: 1518, batchFrames: 8,
                                            virtioNetHeader: true, maxSegmentedFrameBytes: 14 + 65535);
    }

    public void Dispose() => _pair.Dispose();

    [Fact]
    public void A_payload_by_reference_leaves_behind_its_headers_as_one_message()
    {
        var chunks = Chunks(3, fill: 1);
        var payload = Payload(chunks, firstOffset: 100, length: 40_000);
        var headers = Headers(0);

        Assert.True(_transmitter.Send(headers, in payload, SegmentSize));
        _transmitter.Flush();

        var datagram = Assert.Single(_pair.DrainDatagrams());
        Assert.Equal(VirtioNetHeader.Length + HeadersLength + 40_000, datagram.Length);
        Assert.Equal(1, datagram[1]); // VIRTIO_NET_HDR_GSO_TCPV4
        Assert.Equal(headers, datagram[VirtioNetHeader.Length..(VirtioNetHeader.Length + HeadersLength)]);
        Assert.Equal(Joined(chunks, 100, 40_000), datagram[(VirtioNetHeader.Length + HeadersLength)..]);
        Assert.Equal((1L, (long)(HeadersLength + 40_000)), (_stats.FramesSent, _stats.BytesSent));
    }

    [Fact]
    public void A_frame_that_must_wait_owns_its_payload_once_settled()
    {
        // Frames of 16 KiB of payload until the peer's queue refuses (EAGAIN): some wait in the FIFO, referring to the chunks.
        var sent = new List<byte[]>();
        var chunks = new List<byte[]>();
        for (int i = 0; _stats.SendsDeferred == 0; i++)
        {
            Assert.True(i < 30, "the datagram pair never refused");
            var own = Chunks(1, fill: (byte)(i + 1));
            chunks.AddRange(own);
            var payload = Payload(own, 0, ChunkPool.ChunkSize);
            Assert.True(_transmitter.Send(Headers(i), in payload, SegmentSize));
            sent.Add(own[0]);
            if (i % 3 == 2) _transmitter.Flush();
        }
        _transmitter.SettlePayloads();
        Assert.True(_transmitter.Queued > 0, "nothing waited");

        // The send buffer hands its chunks back and another connection writes into them.
        foreach (var chunk in chunks) chunk.AsSpan().Fill(0xEE);

        var received = _pair.DrainDatagrams();
        while (_transmitter.Queued > 0)
        {
            _transmitter.Flush();
            received.AddRange(_pair.DrainDatagrams());
        }
        Assert.Equal(sent.Count, received.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(i, BitConverter.ToInt32(received[i], VirtioNetHeader.Length + HeadersLength - 4)); // in order
            Assert.True(received[i].AsSpan(VirtioNetHeader.Length + HeadersLength).IndexOfAnyExcept((byte)(i + 1)) < 0,
                        $"frame {i} carried bytes written after it was settled");
        }
        Assert.Equal(0, _stats.SendsDropped);
    }

    [Fact]
    public void A_payload_by_reference_is_refused_for_a_frame_not_to_be_segmented()
    {
        var payload = Payload(Chunks(1, 1), 0, 100);
        Assert.Throws<InvalidOperationException>(() => _transmitter.Send(Headers(0), in payload, 0));
        var plain = new FrameTransmitter(_pair.WriteEnd, "plain", new DeviceCounters(), 4, 1518, 2);
        Assert.Throws<InvalidOperationException>(() => plain.Send(Headers(0), in payload, SegmentSize));
    }

    /// <summary>Ethernet, IPv4 (IHL 5) and TCP (data offset 5) headers; the TCP header's last four bytes are <paramref name="index"/>.</summary>
    private static byte[] Headers(int index)
    {
        var headers = new byte[HeadersLength];
        headers[12] = 0x08;
        headers[14] = 0x45;
        headers[14 + 20 + 12] = 5 << 4;
        BitConverter.TryWriteBytes(headers.AsSpan(HeadersLength - 4), index);
        return headers;
    }

    /// <summary>Chunks as a send buffer holds them: one filled with <paramref name="fill"/>, or several with a pattern.</summary>
    private static List<byte[]> Chunks(int count, byte fill)
    {
        var chunks = new List<byte[]>();
        for (int c = 0; c < count; c++)
        {
            var chunk = new byte[ChunkPool.ChunkSize];
            if (count == 1) chunk.AsSpan().Fill(fill);
            else for (int i = 0; i < chunk.Length; i++) chunk[i] = (byte)((c * 7 + i) % 251);
            chunks.Add(chunk);
        }
        return chunks;
    }

    private static SegmentPayload Payload(List<byte[]> chunks, int firstOffset, int length)
    {
        var payload = new SegmentPayload();
        for (int c = 0, at = firstOffset; length > 0; c++, at = 0)
        {
            int n = Math.Min(length, chunks[c].Length - at);
            Assert.True(payload.TryAdd(chunks[c].AsMemory(at, n)));
            length -= n;
        }
        return payload;
    }

    private static byte[] Joined(List<byte[]> chunks, int firstOffset, int length) =>
        chunks.SelectMany(c => c).Skip(firstOffset).Take(length).ToArray();
}
