using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Tcp;

namespace UserTcp.Fast.Tests.Devices;

public sealed class CaptureRingTests
{
    private const int Mtu = 1500;
    private const int Snap = PcapDeviceOptions.DefaultSnapshotLength;
    private const int OldFixedBuffer = 32 << 20;

    /// <summary>The rings libpcap 1.10.3 built on the lab's veth (the socket mapping's size in /proc/PID/smaps, and mmap(2) in strace).</summary>
    [Theory]
    [InlineData(false, OldFixedBuffer, 1600, 4096, 20_972, 42_950_656L)]
    [InlineData(true, OldFixedBuffer, 65_632, 131_072, 512, 67_108_864L)]
    [InlineData(false, 5594 * 1600, 1600, 4096, 5594, 11_456_512L)]
    [InlineData(true, 130 * 65_632, 65_632, 131_072, 130, 17_039_360L)]
    public void Geometry_is_libpcaps(bool offloads, int bufferBytes, int frameBytes, int blockBytes, int frames, long ringBytes)
    {
        var ring = CaptureRing.For(Mtu, offloads, Snap, bufferBytes);

        Assert.Equal(new CaptureRing(frameBytes, blockBytes, frames), ring);
        Assert.Equal(ringBytes, ring.Bytes);
    }

    [Fact]
    public void A_snapshot_length_below_the_largest_frame_sets_the_slot()
    {
        Assert.Equal(1600, CaptureRing.For(Mtu, offloads: true, snapshotLength: 1518, bufferBytes: 1 << 20).FrameBytes);
    }

    /// <summary>
    /// The default ring holds a window and a half of full-sized frames, and no more than that in memory: a fixed 32 MiB buffer
    /// (the old default) made 41 MiB and 64 MiB rings, most of a 1 GiB download's peak RSS (run against it once: fails).
    /// </summary>
    [Theory]
    [InlineData(false, 4196, 8_593_408L)]
    [InlineData(true, 98, 12_845_056L)]
    public void Default_ring_holds_a_window_and_a_half_for_the_default_window(bool offloads, int frames, long ringBytes)
    {
        int window = PcapDeviceOptions.DefaultReceiveWindowBytes;
        int packet = offloads ? CaptureRing.LargestOffloadPacket : Mtu;

        var ring = CaptureRing.For(Mtu, offloads, Snap, CaptureRing.BufferBytesFor(Mtu, offloads, Snap, window));

        Assert.Equal(frames, ring.Frames);
        Assert.Equal(ringBytes, ring.Bytes);
        Assert.True((long)ring.Frames * packet >= 3L * window / 2, "room for a window and a half of full-sized packets");
        Assert.True(ring.Bytes <= 13 << 20, $"{ring.Bytes} bytes of ring");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_small_window_still_gets_the_minimum_and_a_large_one_more(bool offloads)
    {
        var small = CaptureRing.For(Mtu, offloads, Snap, CaptureRing.BufferBytesFor(Mtu, offloads, Snap, 16 << 10));
        var large = CaptureRing.For(Mtu, offloads, Snap, CaptureRing.BufferBytesFor(Mtu, offloads, Snap, 16 << 20));

        Assert.Equal(CaptureRing.MinimumFrames, small.Frames);
        int forFourMiB = CaptureRing.For(Mtu, offloads, Snap, CaptureRing.BufferBytesFor(Mtu, offloads, Snap, 4 << 20)).Frames;
        Assert.InRange(large.Frames, 4 * forFourMiB - 8, 4 * forFourMiB); // rounding of the window to packets, and of frames to whole blocks
    }

    [Fact]
    public void The_default_window_is_the_tcp_default_receive_buffer()
    {
        Assert.Equal(PcapDeviceOptions.DefaultReceiveWindowBytes, new TcpConfig().ReceiveBufferSize);
    }
}
