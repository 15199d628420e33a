using PacketDotNet;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Frames;

namespace UserTcp.Fast.Tests.Interface;

/// <summary>
/// Send-side segmentation offload between two interfaces on a virtual clock: the sender's output segments like the kernel
/// (GSO), so the sender writes TCP segments of several MSS; each is cut by <see cref="GsoReferenceSegmenter"/>, the pieces
/// are checked with PacketDotNet as the oracle and delivered to a receiver without offload.
/// </summary>
public sealed class SegmentationOffloadTests
{
    private static readonly MacAddress SenderMac = MacAddress.Parse("02:00:00:00:00:02"), ReceiverMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly Ipv4Address Sender = new(198, 18, 0, 2), Receiver = new(198, 18, 0, 1);
    private const int EthernetMtuFrame = 1514;

    /// <summary>Frames on the wire in one direction; with <see cref="MaxSegmentedFrameBytes"/> above 0 it segments as GSO does.</summary>
    private sealed class Wire(int maxSegmentedFrameBytes) : ISegmentingFrameOutput
    {
        public readonly Queue<byte[]> Frames = new();
        public readonly List<(byte[] Frame, int SegmentSize)> Segmented = new();
        public readonly List<byte[]> Pieces = new();
        /// <summary>Drops the piece whose index in <see cref="Pieces"/> (or the ordinary frame at that count) matches.</summary>
        public Func<int, bool> Drop { get; set; } = _ => false;
        /// <summary>Above 0: a router's next-hop MTU. A frame, or a segmented frame whose pieces, would be larger is refused
        /// whole, as Linux's ip_forward refuses a GSO packet (skb_gso_validate_network_len), and its first bytes land in
        /// <see cref="Refused"/> for an ICMP "fragmentation needed".</summary>
        public int PathMtu { get; set; }
        public readonly Queue<byte[]> Refused = new();
        public int MaxSegmentedFrameBytes { get; private set; } = maxSegmentedFrameBytes;
        /// <summary>Segmented frames taken before the wire finds it cannot segment after all (as PcapDevice when its
        /// segmenting socket will not open): that frame is dropped and <see cref="MaxSegmentedFrameBytes"/> falls to 0.</summary>
        public int RefuseAfter { get; set; } = int.MaxValue;
        public int RefusedSegmented { get; private set; }
        public int Ordinary { get; private set; }
        public int LargestOrdinary { get; private set; }

        public void Transmit(ReadOnlySpan<byte> frame)
        {
            if (TooBig(frame.Length - 14))
            {
                Refused.Enqueue(frame[..(14 + 20 + 8)].ToArray());
                return;
            }
            Ordinary++;
            LargestOrdinary = Math.Max(LargestOrdinary, frame.Length);
            Put(frame.ToArray());
        }

        public void TransmitSegmented(ReadOnlySpan<byte> frame, int segmentSize)
        {
            if (Segmented.Count >= RefuseAfter)
            {
                MaxSegmentedFrameBytes = 0;
                RefusedSegmented++;
                return;
            }
            int headers = 20 + (frame[14 + 20 + 12] >> 4) * 4;
            if (TooBig(headers + segmentSize))
            {
                Refused.Enqueue(frame[..(14 + 20 + 8)].ToArray());
                return;
            }
            Segmented.Add((frame.ToArray(), segmentSize));
            foreach (var piece in GsoReferenceSegmenter.Segment(frame, segmentSize)) Put(piece);
        }

        /// <summary>Whether it takes payloads by reference, as PcapDevice does; it keeps them until <see cref="SettlePayloads"/>
        /// and only then reads them, so a payload the sender changed or freed before that shows on the wire.</summary>
        public bool TakesPayloadByReference { get; set; }
        public int ByReference { get; private set; }
        public int Settles { get; private set; }
        private readonly List<(byte[] Headers, SegmentPayload Payload, int SegmentSize)> _referring = new();

        public void TransmitSegmented(ReadOnlySpan<byte> headers, in SegmentPayload payload, int segmentSize)
        {
            Assert.True(TakesPayloadByReference, "a payload by reference to a wire that does not take them");
            if (Segmented.Count + _referring.Count >= RefuseAfter)
            {
                MaxSegmentedFrameBytes = 0;
                RefusedSegmented++;
                return;
            }
            ByReference++;
            _referring.Add((headers.ToArray(), payload, segmentSize));
        }

        public void SettlePayloads()
        {
            Settles++;
            foreach (var (headers, payload, segmentSize) in _referring)
            {
                var frame = new byte[headers.Length + payload.Length];
                headers.CopyTo(frame, 0);
                payload.CopyTo(frame.AsSpan(headers.Length));
                TransmitSegmented(frame, segmentSize);
            }
            _referring.Clear();
        }

        private bool TooBig(int packetLength) => PathMtu > 0 && packetLength > PathMtu;

        private void Put(byte[] frame)
        {
            int index = Pieces.Count;
            Pieces.Add(frame);
            if (!Drop(index)) Frames.Enqueue(frame);
        }
    }

    private sealed class Pair
    {
        public readonly Wire Out = new(65_549), Back = new(0);
        public readonly NetworkInterface Sending, Receiving;
        public readonly TcpConnection Client;
        public readonly TcpConnection Server;
        public Instant Now = Instant.FromMilliseconds(1000);

        public Pair(TcpConfig? config = null, bool payloadByReference = false)
        {
            Out.TakesPayloadByReference = payloadByReference;
            Sending = new NetworkInterface(new InterfaceConfig { MacAddress = SenderMac, Address = Sender, PrefixLength = 24, Checksums = ChecksumPolicy.Verify },
                new TcpStack(config ?? new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 1), Out);
            Receiving = new NetworkInterface(new InterfaceConfig { MacAddress = ReceiverMac, Address = Receiver, PrefixLength = 24, Checksums = ChecksumPolicy.Verify },
                new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 2), Back);
            Sending.AddStaticNeighbor(Receiver, ReceiverMac);
            Receiving.AddStaticNeighbor(Sender, SenderMac);
            var listener = Receiving.Tcp.Listen(80);
            Client = Sending.Tcp.Connect(Sender, Receiver, 80, Now);
            TcpConnection? accepted = null;
            for (int i = 0; i < 100 && !listener.TryAccept(out accepted); i++) Turn();
            Server = accepted ?? throw new InvalidOperationException("no connection");
        }

        /// <summary>One round: both flush, frames cross, time moves on 1 ms when nothing did.</summary>
        public bool Turn()
        {
            Sending.Flush(Now);
            bool moved = Out.Frames.Count > 0 || Out.Refused.Count > 0;
            while (Out.Refused.TryDequeue(out var refused)) Sending.OnFrame(FragmentationNeeded(refused, Out.PathMtu), Now);
            while (Out.Frames.TryDequeue(out var frame)) Receiving.OnFrame(frame, Now);
            Receiving.Flush(Now);
            moved |= Back.Frames.Count > 0;
            while (Back.Frames.TryDequeue(out var frame)) Sending.OnFrame(frame, Now);
            if (!moved)
            {
                Now += TimeSpan.FromMilliseconds(1);
                Sending.OnTimers(Now);
                Receiving.OnTimers(Now);
            }
            return moved;
        }

        /// <summary>Sends <paramref name="data"/> and closes; returns what the receiver read up to the FIN.</summary>
        public byte[] Transfer(byte[] data)
        {
            var received = new MemoryStream();
            var buffer = new byte[65536];
            int sent = 0;
            for (int round = 0; round < 200_000; round++)
            {
                if (sent < data.Length) sent += Client.Send(data.AsSpan(sent));
                else if (Client.State == TcpState.Established) Client.Close();
                int n;
                while ((n = Server.Receive(buffer)) > 0) received.Write(buffer, 0, n);
                if (Server.State == TcpState.CloseWait) return received.ToArray();
                Turn();
            }
            throw new InvalidOperationException($"transfer stalled at {received.Length} of {data.Length} bytes");
        }
    }

    /// <summary>The ICMP "fragmentation needed" a router on the receiver's address sends for the frame starting with <paramref name="refused"/>.</summary>
    private static byte[] FragmentationNeeded(byte[] refused, int mtu)
    {
        var tcp = refused.AsSpan(14 + 20);
        return IcmpUnreachableFrame.Build(ReceiverMac, Receiver, SenderMac, Sender, code: 4, Receiver,
            System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(tcp), System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]),
            IpProtocol.Tcp, sequence: System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), nextHopMtu: (ushort)mtu);
    }

    private static byte[] Pattern(int length)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++) data[i] = (byte)(i % 251);
        return data;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bulk_data_leaves_in_segments_of_several_MSS_that_GSO_cuts_into_valid_MSS_frames(bool payloadByReference)
    {
        var pair = new Pair(payloadByReference: payloadByReference);
        var data = Pattern(4 << 20);

        var received = pair.Transfer(data);

        Assert.Equal(data, received);
        Assert.NotEmpty(pair.Out.Segmented);
        Assert.Equal(pair.Out.Segmented.Count, pair.Sending.Stats.SegmentedFramesSent);
        int mss = pair.Client.SendMss;
        int largest = 0;
        foreach (var (frame, segmentSize) in pair.Out.Segmented)
        {
            Assert.Equal(mss, segmentSize);
            Assert.InRange(frame.Length, EthernetMtuFrame + 1, 14 + 65_535);
            largest = Math.Max(largest, frame.Length);
        }
        Assert.True(largest > 32 * mss, $"the largest segmented frame carried {largest} bytes: the window should allow ~64 KiB");
        Assert.InRange(pair.Out.LargestOrdinary, 0, EthernetMtuFrame);
        foreach (var piece in pair.Out.Pieces)
        {
            Assert.InRange(piece.Length, 54, EthernetMtuFrame);
            var ip = Assert.IsType<IPv4Packet>(Assert.IsType<EthernetPacket>(Packet.ParsePacket(LinkLayers.Ethernet, piece)).PayloadPacket);
            Assert.True(ip.ValidIPChecksum, "IPv4 header checksum rejected by PacketDotNet");
            Assert.True(ip.FragmentFlags == 0x2, "DF");
            Assert.True(Assert.IsType<TcpPacket>(ip.PayloadPacket).ValidTcpChecksum, "TCP checksum rejected by PacketDotNet");
        }
        Assert.Equal(0, pair.Receiving.Stats.DropBadChecksum);
        Assert.Equal(0, pair.Client.Stats.Retransmissions);
        // By reference, every segmented frame went so (the wire read its payload only when the flush settled them).
        Assert.Equal(payloadByReference ? pair.Out.Segmented.Count : 0, pair.Out.ByReference);
        Assert.Equal(payloadByReference, pair.Out.Settles > 0);
    }

    /// <summary>
    /// A device that finds it cannot segment after all loses that frame and says so (MaxSegmentedFrameBytes falls to 0):
    /// the interface goes back to MSS-sized frames, retransmissions included, and the transfer completes byte-exact.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_device_that_stops_segmenting_mid_transfer_costs_a_retransmission_not_the_connection(bool payloadByReference)
    {
        var pair = new Pair(payloadByReference: payloadByReference);
        pair.Out.RefuseAfter = 3;
        var data = Pattern(4 << 20);

        var received = pair.Transfer(data);

        Assert.Equal(data, received);
        Assert.Equal(3, pair.Out.Segmented.Count);
        Assert.Equal(1, pair.Out.RefusedSegmented);
        Assert.Equal(1, pair.Sending.Stats.SegmentationStopped);
        Assert.Equal(0, pair.Sending.Tcp.OffloadSegmentBytes);
        Assert.InRange(pair.Out.LargestOrdinary, 0, EthernetMtuFrame);
        Assert.True(pair.Out.Ordinary > (4 << 20) / pair.Client.SendMss / 2, $"{pair.Out.Ordinary} MSS-sized frames");
        Assert.True(pair.Client.Stats.Retransmissions >= 1, "the refused frame's bytes were sent again");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_pieces_of_one_segment_carry_consecutive_IDs_and_sequence_numbers_and_FIN_and_PSH_only_on_the_last(bool payloadByReference)
    {
        var pair = new Pair(payloadByReference: payloadByReference);
        var data = Pattern(10 * pair.Client.SendMss + 100); // the initial window's ten segments, then a tail with the FIN

        pair.Transfer(data);

        var (first, size) = pair.Out.Segmented[0];
        var pieces = GsoReferenceSegmenter.Segment(first, size);
        Assert.Equal(10, pieces.Count);
        var parsed = pieces.Select(p => (IPv4Packet)Packet.ParsePacket(LinkLayers.Ethernet, p).PayloadPacket).ToList();
        for (int i = 1; i < parsed.Count; i++)
        {
            Assert.Equal((ushort)(parsed[0].Id + i), parsed[i].Id);
            var tcp = (TcpPacket)parsed[i].PayloadPacket;
            Assert.Equal(((TcpPacket)parsed[0].PayloadPacket).SequenceNumber + (uint)(i * size), tcp.SequenceNumber);
            Assert.Equal(size, tcp.PayloadData.Length);
        }
        Assert.All(parsed.SkipLast(1), ip => Assert.False(((TcpPacket)ip.PayloadPacket).Push));
        // The tail (100 bytes and the FIN) is not held back by Nagle into the segment: it follows as an ordinary frame.
        Assert.All(pair.Out.Segmented, s => Assert.Equal(0, (s.Frame[14 + 20 + 13] & 0x01)));
        // The next datagram's ID follows the last piece's.
        int firstIndex = pair.Out.Pieces.FindIndex(p => p.AsSpan().SequenceEqual(pieces[0]));
        var next = pair.Out.Pieces[firstIndex + pieces.Count];
        Assert.Equal((ushort)(parsed[^1].Id + 1), ((IPv4Packet)Packet.ParsePacket(LinkLayers.Ethernet, next).PayloadPacket).Id);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_lost_piece_is_retransmitted_as_one_ordinary_MSS_frame(bool payloadByReference)
    {
        var pair = new Pair(payloadByReference: payloadByReference);
        int handshakeFrames = pair.Out.Pieces.Count;
        pair.Out.Drop = index => index == handshakeFrames + 3; // the fourth piece of the first data segment
        var data = Pattern(1 << 20);

        var received = pair.Transfer(data);

        Assert.Equal(data, received);
        Assert.Equal(1, pair.Client.Stats.Retransmissions);
        uint lostSeq = ((TcpPacket)Packet.ParsePacket(LinkLayers.Ethernet, pair.Out.Pieces[handshakeFrames + 3]).PayloadPacket.PayloadPacket).SequenceNumber;
        var copies = pair.Out.Pieces.Skip(handshakeFrames + 4)
            .Select(p => (TcpPacket)Packet.ParsePacket(LinkLayers.Ethernet, p).PayloadPacket.PayloadPacket)
            .Where(t => t.SequenceNumber == lostSeq && t.PayloadData.Length > 0).ToList();
        var retransmission = Assert.Single(copies);
        Assert.Equal(pair.Client.SendMss, retransmission.PayloadData.Length);
        Assert.DoesNotContain(pair.Out.Segmented, s => SeqOf(s.Frame) == lostSeq);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // RFC 1191 §3 with GSO: after the router's ICMP, segments of several MSS go on, cut at the lowered MSS
    public void After_a_smaller_path_mtu_segmented_frames_are_cut_at_the_lowered_mss_and_every_piece_fits_the_path(bool payloadByReference)
    {
        const int pathMtu = 1400;
        var pair = new Pair(payloadByReference: payloadByReference);
        int before = pair.Client.SendMss;
        pair.Out.PathMtu = pathMtu;
        var data = Pattern(2 << 20);

        var received = pair.Transfer(data);

        Assert.Equal(data, received);
        Assert.Equal(1, pair.Sending.Tcp.Stats.PathMtuReductions);
        int mss = pair.Client.SendMss;
        Assert.True(mss < before, $"the MSS stayed {mss}");
        Assert.NotEmpty(pair.Out.Segmented);
        Assert.All(pair.Out.Segmented, s => Assert.Equal(mss, s.SegmentSize));
        Assert.All(pair.Out.Pieces, piece => Assert.InRange(piece.Length - 14, 40, pathMtu));
        Assert.True(pair.Out.Segmented.Max(s => s.Frame.Length) > 32 * mss, "segments of several MSS stopped after the reduction");
    }

    private static uint SeqOf(byte[] frame) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(14 + 20 + 4));
}
