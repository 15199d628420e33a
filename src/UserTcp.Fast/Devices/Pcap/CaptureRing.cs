namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// The TPACKET_V2 ring libpcap 1.10 builds for an Ethernet capture in immediate mode (pcap-linux.c create_ring), worked out
/// in advance so that <see cref="PcapDevice"/> can ask for the ring it needs instead of a fixed size.
/// </summary>
/// <remarks>
/// libpcap gives every frame a fixed slot of TPACKET_ALIGN(68 + min(snaplen, max frame)) bytes, the max frame being the MTU
/// + 18, or 65,535 + 18 when the interface has TSO, GSO, GRO or LRO on (frames then arrive up to 64 KiB). A block is the
/// smallest power of two of pages that holds one slot; the ring is buffer / slot frames (rounded up), in whole blocks
/// (rounded down). The kernel maps every page of it at mmap (vm_insert_page), so the whole ring counts in the process's
/// RSS from the start: with offloads on a 65,632-byte slot takes a 128 KiB block of its own.
/// </remarks>
/// <param name="FrameBytes">tp_frame_size: one frame's slot.</param>
/// <param name="BlockBytes">tp_block_size.</param>
/// <param name="Frames">tp_frame_nr: how many frames the ring holds.</param>
internal readonly record struct CaptureRing(int FrameBytes, int BlockBytes, int Frames)
{
    /// <summary>TPACKET_ALIGN(sizeof(tpacket2_hdr)) + sizeof(sockaddr_ll) + MAX_LINKHEADER_SIZE, aligned, + the 4-byte VLAN
    /// reserve, − MAX_LINKHEADER_SIZE: where libpcap puts the frame in its slot.</summary>
    private const int MacOffset = 68;
    private const int Alignment = 16;
    private const int PageBytes = 4096;
    /// <summary>The largest IPv4 packet: what a GSO or GRO frame can carry (its total length is 16 bits).</summary>
    public const int LargestOffloadPacket = 65_535;

    public int FramesPerBlock => BlockBytes / FrameBytes;

    /// <summary>Bytes mapped (and resident) for the ring.</summary>
    public long Bytes => (long)(Frames / FramesPerBlock) * BlockBytes;

    /// <summary>The ring libpcap makes for pcap_set_buffer_size(<paramref name="bufferBytes"/>).</summary>
    /// <param name="mtu">The interface's MTU.</param>
    /// <param name="offloads">Whether libpcap finds segmentation or receive offload on (then frames up to 64 KiB arrive).</param>
    /// <param name="snapshotLength">pcap_set_snaplen.</param>
    /// <param name="bufferBytes">pcap_set_buffer_size.</param>
    public static CaptureRing For(int mtu, bool offloads, int snapshotLength, int bufferBytes)
    {
        int frame = Align(MacOffset + Math.Min(snapshotLength, LargestFrame(mtu, offloads)));
        int block = PageBytes;
        while (block < frame) block <<= 1;
        int perBlock = block / frame;
        int frames = (int)(((long)bufferBytes + frame - 1) / frame);
        return new CaptureRing(frame, block, frames / perBlock * perBlock);
    }

    /// <summary>
    /// The buffer size that gives a ring of one and a half times the frames a full receive window of
    /// <paramref name="windowBytes"/> takes in the largest packets the link delivers (the MTU, or 64 KiB with offloads), and at
    /// least <see cref="MinimumFrames"/>. The peer cannot have more than a window in flight beyond what the stack acknowledged,
    /// and the stack acknowledges only what it took out of the ring; the extra half is room for smaller segments (a GSO frame
    /// shorter than 64 KiB, a segment shorter than the MSS) and frames that carry no data.
    /// </summary>
    public static int BufferBytesFor(int mtu, bool offloads, int snapshotLength, int windowBytes)
    {
        int packet = offloads ? Math.Max(mtu, LargestOffloadPacket) : mtu;
        long windowFrames = ((long)windowBytes + packet - 1) / packet;
        long frames = Math.Max(MinimumFrames, (3 * windowFrames + 1) / 2);
        return (int)Math.Min(int.MaxValue, frames * For(mtu, offloads, snapshotLength, 1).FrameBytes);
    }

    /// <summary>A ring for a small window still holds a burst of this many frames.</summary>
    public const int MinimumFrames = 64;

    /// <summary>libpcap's max_frame_len: the packet plus an Ethernet header, a VLAN tag and 4 bytes (18).</summary>
    public static int LargestFrame(int mtu, bool offloads) => (offloads ? Math.Max(mtu, LargestOffloadPacket) : mtu) + 18;

    private static int Align(int bytes) => (bytes + Alignment - 1) & ~(Alignment - 1);
}
