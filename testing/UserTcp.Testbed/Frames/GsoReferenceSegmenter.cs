using System.Buffers.Binary;

namespace UserTcp.Testbed.Frames;

/// <summary>
/// What Linux does with a TCP/IPv4 frame sent with a virtio-net header asking for TCPV4 segmentation (NEEDS_CSUM,
/// gso_size), written out independently of the stack's code so that tests can hold the stack's super-frames against it:
/// inet_gso_segment (net/ipv4/af_inet.c) gives every piece the headers, its own total length, the first piece's IP ID plus
/// its index and a fresh header checksum; tcp_gso_segment (net/ipv4/tcp_offload.c) gives each piece its sequence number,
/// clears FIN and PSH on all but the last (CWR on all but the first), and completes each checksum from the partial one,
/// which must therefore be the pseudo-header sum of the whole segment.
/// </summary>
internal static class GsoReferenceSegmenter
{
    private const int EthernetHeader = 14;

    /// <summary>The pieces of <paramref name="frame"/>, each a whole Ethernet frame with valid checksums.</summary>
    /// <exception cref="TestbedException">The frame is not TCP/IPv4, or its checksum field is not the partial sum GSO needs.</exception>
    public static List<byte[]> Segment(ReadOnlySpan<byte> frame, int segmentSize)
    {
        if (segmentSize <= 0) throw new TestbedException($"gso_size {segmentSize}");
        if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800) throw new TestbedException("not IPv4");
        var ip = frame[EthernetHeader..];
        int ipHeader = (ip[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (ip[9] != 6) throw new TestbedException("not TCP");
        if (EthernetHeader + totalLength != frame.Length) throw new TestbedException($"IPv4 total length {totalLength} for a {frame.Length}-byte frame");
        var tcp = ip[ipHeader..totalLength];
        int tcpHeader = (tcp[12] >> 4) * 4;
        uint source = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]), destination = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        ushort partial = BinaryPrimitives.ReadUInt16BigEndian(tcp[16..]);
        ushort expectedPartial = Fold(PseudoHeader(source, destination, tcp.Length));
        if (partial != expectedPartial)
            throw new TestbedException($"TCP checksum field {partial:x4}, not the pseudo-header sum {expectedPartial:x4} of the {tcp.Length}-byte segment");

        var payload = tcp[tcpHeader..];
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        uint seq = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
        byte flags = tcp[13];
        var pieces = new List<byte[]>();
        for (int offset = 0, index = 0; offset < payload.Length; offset += segmentSize, index++)
        {
            int length = Math.Min(segmentSize, payload.Length - offset);
            bool first = offset == 0, last = offset + length == payload.Length;
            var piece = new byte[EthernetHeader + ipHeader + tcpHeader + length];
            frame[..(EthernetHeader + ipHeader + tcpHeader)].CopyTo(piece);
            payload.Slice(offset, length).CopyTo(piece.AsSpan(EthernetHeader + ipHeader + tcpHeader));
            var pieceIp = piece.AsSpan(EthernetHeader);
            BinaryPrimitives.WriteUInt16BigEndian(pieceIp[2..], (ushort)(ipHeader + tcpHeader + length));
            BinaryPrimitives.WriteUInt16BigEndian(pieceIp[4..], unchecked((ushort)(id + index)));
            BinaryPrimitives.WriteUInt16BigEndian(pieceIp[10..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(pieceIp[10..], (ushort)~Fold(Sum(pieceIp[..ipHeader])));
            var pieceTcp = pieceIp[ipHeader..];
            BinaryPrimitives.WriteUInt32BigEndian(pieceTcp[4..], unchecked(seq + (uint)offset));
            byte pieceFlags = flags;
            if (!last) pieceFlags &= unchecked((byte)~0x09); // FIN, PSH
            if (!first) pieceFlags &= unchecked((byte)~0x80); // CWR
            pieceTcp[13] = pieceFlags;
            BinaryPrimitives.WriteUInt16BigEndian(pieceTcp[16..], 0);
            ulong sum = PseudoHeader(source, destination, pieceTcp.Length) + Sum(pieceTcp);
            BinaryPrimitives.WriteUInt16BigEndian(pieceTcp[16..], (ushort)~Fold(sum));
            pieces.Add(piece);
        }
        return pieces;
    }

    private static ulong PseudoHeader(uint source, uint destination, int tcpLength) =>
        (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) + 6u + (uint)tcpLength;

    private static ulong Sum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) sum += (uint)data[i] << 8;
        return sum;
    }

    private static ushort Fold(ulong sum)
    {
        while (sum > 0xFFFF) sum = (sum >> 16) + (sum & 0xFFFF);
        return (ushort)sum;
    }
}
