using System.Runtime.InteropServices;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices;

/// <summary>
/// struct virtio_net_hdr (include/uapi/linux/virtio_net.h), which a packet socket with PACKET_VNET_HDR takes in front of
/// every frame (net/packet/af_packet.c packet_snd, then virtio_net_hdr_to_skb): flags, gso_type, hdr_len, gso_size,
/// csum_start, csum_offset, in the host's byte order (a packet socket uses the legacy, native-endian layout).
/// </summary>
internal static class VirtioNetHeader
{
    public const int Length = 10;
    private const byte FlagNeedsChecksum = 1; // VIRTIO_NET_HDR_F_NEEDS_CSUM
    private const byte GsoTcpV4 = 1;          // VIRTIO_NET_HDR_GSO_TCPV4
    private const int TcpChecksumOffset = 16;

    /// <summary>
    /// Writes the header for <paramref name="frame"/>: all zero (no offload: the frame is complete) when
    /// <paramref name="segmentSize"/> is 0; otherwise TCPV4 segmentation into <paramref name="segmentSize"/>-byte payloads with
    /// the TCP checksum to be completed from the TCP header on (NEEDS_CSUM; the field holds the pseudo-header sum), and the
    /// headers' length, which the kernel copies into each segment.
    /// </summary>
    public static void Write(Span<byte> destination, ReadOnlySpan<byte> frame, int segmentSize)
    {
        if (segmentSize == 0)
        {
            destination[..Length].Clear();
            return;
        }
        int ipStart = EthernetFrame.HeaderLength;
        int tcpStart = ipStart + (frame[ipStart] & 0x0F) * 4;
        int headersEnd = tcpStart + (frame[tcpStart + 12] >> 4) * 4;
        destination[0] = FlagNeedsChecksum;
        destination[1] = GsoTcpV4;
        MemoryMarshal.Write(destination[2..], (ushort)headersEnd);
        MemoryMarshal.Write(destination[4..], (ushort)segmentSize);
        MemoryMarshal.Write(destination[6..], (ushort)tcpStart);
        MemoryMarshal.Write(destination[8..], (ushort)TcpChecksumOffset);
    }
}
