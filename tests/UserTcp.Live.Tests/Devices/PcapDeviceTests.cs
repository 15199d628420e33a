using System.Net;
using System.Net.Sockets;
using UserTcp.Fast.Buffers;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;
using UserTcp.Testbed.Frames;
using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Devices;

/// <summary>
/// <see cref="PcapDevice"/> on a live veth whose other end is a kernel in a fresh namespace (see <see cref="VethLink"/>).
/// Needs root: fails, never skips, without it.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class PcapDeviceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const int SolUdp = 17;
    private const int UdpSegment = 103;
    /// <summary>A destination the peer kernel drops quietly (not its MAC), so our sends cause no replies.</summary>
    private static readonly MacAddress NobodysMac = new(0x02_00_00_00_00_99);

    [Fact]
    public void Opens_a_veth_with_the_interfaces_own_address_mtu_and_a_filter_that_drops_its_own_source()
    {
        using var lab = VethLink.Create();
        using var device = lab.OpenDevice();

        Assert.Equal(lab.StackInterface, device.Name);
        Assert.Equal(lab.StackMac, device.MacAddress);
        Assert.Equal(1500, device.Mtu);
        Assert.True(device.IsHostLocal, "a veth lives under /sys/devices/virtual");
        Assert.Equal(PcapDevice.FilterFor(lab.StackMac, lab.StackAddress), device.Filter);
    }

    [Fact]
    public void Host_local_means_a_software_interface_and_a_nic_on_a_bus_is_not()
    {
        Assert.True(LinuxInterface.Read("lo").IsVirtual);
        // Other labs on this machine add and delete veths meanwhile: judge only the interfaces that stay put.
        foreach (var link in new DirectoryInfo("/sys/class/net").GetFileSystemInfos())
        {
            var resolved = ProcessRunner.Run("readlink", ["-e", link.FullName], TimeSpan.FromSeconds(5));
            bool isVirtual;
            try
            {
                isVirtual = LinuxInterface.Read(link.Name).IsVirtual;
            }
            catch (DeviceUnavailableException)
            {
                continue;
            }
            if (resolved.ExitCode != 0 || !Directory.Exists(link.FullName)) continue;
            Assert.Equal(resolved.Output.Trim().StartsWith("/sys/devices/virtual/", StringComparison.Ordinal), isVirtual);
        }
    }

    [Fact]
    public void Filter_keeps_arp_for_the_stack_not_from_our_mac_and_ipv4_to_it_or_broadcast()
    {
        Assert.Equal(
            "not ether src 02:00:00:00:00:0a and ((arp and arp dst host 198.18.0.2) or (ip and (dst host 198.18.0.2 or dst host 255.255.255.255)))",
            PcapDevice.FilterFor(new MacAddress(0x02_00_00_00_00_0A), new Ipv4Address(198, 18, 0, 2)));
    }

    [Fact]
    public void Receives_the_peer_kernels_pings_stamped_and_counted_and_filters_out_other_addresses()
    {
        using var lab = VethLink.Create();
        using var device = lab.OpenDevice();
        lab.AddKernelNeighbour(lab.StackAddress);
        lab.AddKernelNeighbour(lab.OtherAddress);
        var collector = new FrameCollector();
        var before = MonotonicClock.Now;

        using (var toOther = lab.Kernel.Start("ping", "-c", "5", "-i", "0.05", "-W", "1", $"{lab.OtherAddress}"))
        using (var toStack = lab.Kernel.Start("ping", "-c", "5", "-i", "0.05", "-W", "1", $"{lab.StackAddress}"))
        {
            Assert.True(device.ReceiveUntil(collector, frames => frames.Count(f => Checker.Matches(f.Bytes, EthernetCheck.Ipv4(Ipv4Check.Icmp(IcmpCheck.Type(IcmpType.EchoRequest))))) >= 5, Patience),
                $"got {collector.Frames.Count} frames, wanted 5 echo requests");
            toStack.WaitForExit(Patience);
            toOther.WaitForExit(Patience);
        }
        device.ReceiveUntil(collector, _ => false, TimeSpan.FromMilliseconds(200));
        var after = MonotonicClock.Now;

        Assert.Equal(5, collector.Frames.Count);
        foreach (var frame in collector.Frames)
        {
            Checker.Frame(frame.Bytes, EthernetCheck.Ipv4(Ipv4Check.Destination(lab.StackAddress), Ipv4Check.Icmp(IcmpCheck.Type(IcmpType.EchoRequest))));
            Assert.InRange(frame.At.Nanoseconds, before.Nanoseconds, after.Nanoseconds);
        }
        Assert.True(collector.Frames.Zip(collector.Frames.Skip(1)).All(pair => pair.First.At <= pair.Second.At), "arrival stamps go forward");
        Assert.Equal(5, device.Stats.FramesReceived);
        Assert.Equal(collector.Frames.Sum(f => (long)f.Bytes.Length), device.Stats.BytesReceived);
        Assert.True(device.Stats.ReceiveCalls >= 1);
    }

    [Fact]
    public void Frames_we_send_reach_the_peer_kernel_which_answers_and_no_outgoing_frame_comes_back()
    {
        using var lab = VethLink.Create();
        using var device = lab.OpenDevice();
        // A second handle on the same interface: what it sends is an outgoing frame the first handle could see.
        using var neighbour = lab.OpenDevice();
        var collector = new FrameCollector();

        // The device batches its sends (sendmmsg): nothing leaves before its flush, which the poll loop does every turn.
        Assert.True(device.Send(LiveFrames.ArpRequest(device.MacAddress, lab.StackAddress, lab.KernelAddress)));
        device.Flush();
        // To a MAC nobody has, so the peer kernel drops it without an answer that would muddle the count below.
        Assert.True(neighbour.Send(LiveFrames.Udp(lab.StackMac, NobodysMac, lab.StackAddress, lab.KernelAddress, 100)));
        neighbour.Flush();
        Assert.True(device.ReceiveUntil(collector, frames => frames.Any(f => Checker.Matches(f.Bytes, EthernetCheck.Arp(ArpCheck.Operation(ArpOperation.Reply)))), Patience),
            "the peer kernel did not answer our ARP request");
        Checker.Frame(collector.Frames.Single().Bytes, EthernetCheck.Arp(ArpCheck.Operation(ArpOperation.Reply), ArpCheck.SenderMac(lab.KernelMac),
            ArpCheck.SenderAddress(lab.KernelAddress), ArpCheck.TargetMac(device.MacAddress), ArpCheck.TargetAddress(lab.StackAddress)));

        var echo = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + IcmpPacket.HeaderLength + 56];
        FrameWriter.WriteIcmpEcho(echo, new EthernetHeader(lab.KernelMac, device.MacAddress, EtherType.Ipv4),
            new Ipv4Header(lab.StackAddress, lab.KernelAddress, IpProtocol.Icmp), new IcmpEchoHeader(IcmpType.EchoRequest, 0x5544, 1), new byte[56]);
        Assert.True(device.Send(echo));
        device.Flush();
        Assert.True(device.ReceiveUntil(collector, frames => frames.Any(f => Checker.Matches(f.Bytes, EthernetCheck.Ipv4(Ipv4Check.Icmp(IcmpCheck.Type(IcmpType.EchoReply))))), Patience),
            "the peer kernel did not answer our echo request");
        device.ReceiveUntil(collector, _ => false, TimeSpan.FromMilliseconds(200));

        Assert.DoesNotContain(collector.Frames, f => LiveFrames.SourceOf(f.Bytes) == device.MacAddress);
        Assert.Equal(2, collector.Frames.Count);
        Assert.Equal(2, device.Stats.FramesSent);
        Assert.Equal(2, device.Stats.SendCalls);
        Assert.Equal(0, device.Stats.SendsDeferred);
    }

    [Fact]
    public void Takes_whole_64KiB_frames_when_the_link_mtu_allows_them()
    {
        const int largestPing = ushort.MaxValue - Ipv4Packet.MinHeaderLength - IcmpPacket.HeaderLength;
        using var lab = VethLink.Create(mtu: ushort.MaxValue);
        using var device = lab.OpenDevice();
        lab.AddKernelNeighbour(lab.StackAddress);
        var collector = new FrameCollector();

        lab.Kernel.TryExec(Patience, "ping", "-c", "2", "-i", "0.1", "-W", "1", "-s", $"{largestPing}", $"{lab.StackAddress}");
        device.ReceiveUntil(collector, frames => frames.Count >= 2, Patience);

        Assert.Equal(2, collector.Frames.Count);
        Assert.All(collector.Frames, f => Assert.Equal(EthernetFrame.HeaderLength + ushort.MaxValue, f.Bytes.Length));
        Assert.All(collector.Frames, f => Checker.Frame(f.Bytes, EthernetCheck.Ipv4(Ipv4Check.Icmp(IcmpCheck.Type(IcmpType.EchoRequest))))); // a whole, parseable 64 KiB packet
        Assert.Equal(0, device.Stats.Oversize);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Takes_the_peer_kernels_gso_frames_far_above_the_mtu_with_offloads_on_and_mtu_sized_frames_with_them_off(bool offloads)
    {
        const int segmentSize = 1400;
        const int segments = 40;
        using var lab = VethLink.Create();
        if (!offloads) lab.Kernel.Exec("ethtool", "-K", lab.KernelInterface, "tso", "off", "gso", "off", "tx", "off");
        using var device = lab.OpenDevice();
        lab.AddKernelNeighbour(lab.StackAddress);
        var counter = new FrameCounter();

        // UDP_SEGMENT: the peer kernel builds one 56,000-byte GSO packet; with offloads on the veth passes it on whole.
        lab.Kernel.Enter(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.SetRawSocketOption(SolUdp, UdpSegment, BitConverter.GetBytes(segmentSize));
            return socket.SendTo(new byte[segments * segmentSize], new IPEndPoint(IPAddress.Parse($"{lab.StackAddress}"), LiveFrames.DiscardPort));
        });
        int headers = EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + UdpDatagram.HeaderLength;
        device.CountUntil(ref counter, offloads ? 1 : segments, Patience);
        device.CountUntil(ref counter, long.MaxValue, TimeSpan.FromMilliseconds(100));

        Assert.Equal(offloads ? headers + segments * segmentSize : headers + segmentSize, counter.LargestFrame);
        Assert.Equal(offloads ? 1 : segments, counter.Frames);
        Assert.Equal(0, device.Stats.Oversize);
    }

    [Theory] // closing a packet socket costs the kernel a synchronize_net(): the send socket of GSO opens only when needed
    [InlineData(false)]
    [InlineData(true)] // the payload by reference: headers and two pieces as one message of three iovecs
    public void The_gso_socket_opens_at_the_first_frame_to_be_segmented_and_the_kernel_cuts_that_frame_into_valid_segments(bool payloadByReference)
    {
        const int segmentSize = 1000, pieces = 3;
        using var lab = VethLink.Create();
        // Offloads off on our end: the kernel cuts the frame in software (skb_gso_segment) and completes each piece's
        // checksum, which the peer then verifies (with them on, the veth would hand the peer the whole segment, trusted).
        ProcessRunner.RunChecked("ethtool", ["-K", lab.StackInterface, "tso", "off", "gso", "off", "tx", "off"], Patience);
        using var device = lab.OpenDevice();
        lab.AddKernelNeighbour(lab.StackAddress);
        var collector = new FrameCollector();

        Assert.True(device.Send(LiveFrames.Udp(device.MacAddress, NobodysMac, lab.StackAddress, lab.KernelAddress, 100)));
        device.Flush();
        Assert.False(device.SegmentingSocketOpen, "an ordinary frame opened the GSO send socket");

        // One TCP segment of three pieces, its checksum partial, to a port nobody listens on: the kernel answers each piece
        // it takes with a RST, and takes only pieces with a correct checksum (TcpInCsumErrors otherwise).
        int tcpLength = TcpSegment.MinHeaderLength + pieces * segmentSize;
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + tcpLength];
        new EthernetHeader(lab.KernelMac, device.MacAddress, EtherType.Ipv4).Emit(frame);
        new Ipv4Header(lab.StackAddress, lab.KernelAddress, IpProtocol.Tcp).Emit(frame.AsSpan(EthernetFrame.HeaderLength), tcpLength);
        var segment = frame.AsSpan(EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength);
        for (int i = TcpSegment.MinHeaderLength; i < segment.Length; i++) segment[i] = (byte)(i * 7);
        new TcpHeader(40_000, LiveFrames.DiscardPort, 1_000, 5_000, TcpFlags.Ack, 65535).EmitPartial(segment, segment.Length, lab.StackAddress, lab.KernelAddress);
        var offload = (ISegmentationOffload)device;
        if (payloadByReference)
        {
            int headers = frame.Length - pieces * segmentSize;
            var first = new byte[1234];
            var second = new byte[pieces * segmentSize - first.Length];
            frame.AsSpan(headers, first.Length).CopyTo(first);
            frame.AsSpan(headers + first.Length).CopyTo(second);
            var payload = new SegmentPayload();
            Assert.True(payload.TryAdd(first) && payload.TryAdd(second));
            Assert.True(offload.TakesPayloadByReference);
            Assert.True(offload.SendSegmented(frame.AsSpan(0, headers), in payload, segmentSize));
            offload.SettlePayloads();
        }
        else
        {
            Assert.True(offload.SendSegmented(frame, segmentSize));
        }
        device.Flush();
        Assert.True(device.SegmentingSocketOpen);

        static bool IsReset(DeliveredFrame f) => Checker.Matches(f.Bytes, EthernetCheck.Ipv4(Ipv4Check.Tcp(TcpCheck.Flags(TcpFlags.Rst))));
        device.ReceiveUntil(collector, frames => frames.Count(IsReset) >= pieces, Patience);
        device.ReceiveUntil(collector, _ => false, TimeSpan.FromMilliseconds(200));
        Assert.Equal(pieces, collector.Frames.Count(IsReset));
        Assert.Equal(1, device.Stats.SegmentedFramesSent);
    }

    [Theory]
    [InlineData(PcapReceivePath.Socket)]
    [InlineData(PcapReceivePath.Ring)]
    public void Steady_state_receive_and_send_allocate_nothing_per_frame(PcapReceivePath path)
    {
        const int burst = 200;
        const int measuredFrames = 10_000;
        using var lab = VethLink.Create();
        // 32 MiB: 512 slots of 64 KiB (offloads are on), room for a burst of small frames that the default ring (98
        // slots, sized for a TCP window of 64 KiB frames) could not hold.
        using var device = lab.OpenDevice(kernelBufferBytes: 32 << 20, receivePath: path);
        using var generator = lab.OpenKernelSender();
        var incoming = lab.KernelUdpFrame(64);
        var outgoing = LiveFrames.Udp(device.MacAddress, NobodysMac, lab.StackAddress, lab.KernelAddress, 64);
        var counter = new FrameCounter();

        // Bursts small enough for the ring, so no frame is dropped.
        var cost = device.MeasureSteadyExchange(generator, incoming, outgoing, ref counter, 2_000, measuredFrames, burst, Patience);

        Assert.Equal(2_000 + measuredFrames, counter.Frames);
        Assert.Equal(0, cost.ReceiveBytes);
        Assert.Equal(0, cost.SendBytes);
        Assert.Equal(0, device.Stats.KernelDrops);
        Assert.Equal(2_000 + measuredFrames, device.Stats.FramesSent);
    }

    [Fact]
    public void WaitForFrames_times_out_without_traffic_and_wakes_promptly_when_a_frame_arrives()
    {
        using var lab = VethLink.Create();
        using var device = lab.OpenDevice();
        using var generator = lab.OpenKernelSender();
        var frame = lab.KernelUdpFrame(32);

        var (sentAt, wokeAt) = device.AssertWaitTimesOutThenWakesForAFrame(generator, frame);

        var counter = new FrameCounter();
        Assert.Equal(1, device.Receive(ref counter, 16));
        Assert.InRange(counter.LastDeliveredAt.Nanoseconds, sentAt.Nanoseconds, wokeAt.Nanoseconds);
    }

    /// <summary>
    /// The ring's next slot, read in place (<see cref="RingCursor"/>), shows a frame waiting exactly when one does: none once a
    /// receive has drained the ring, one once the peer has sent it, all the way round the ring and past its wrap; and with two
    /// waiting, the second still shows after the first is taken.
    /// </summary>
    [Fact]
    public void The_ring_shows_a_waiting_frame_without_a_receive_all_the_way_round()
    {
        using var lab = VethLink.Create();
        using var device = lab.OpenDevice(receivePath: PcapReceivePath.Ring);
        using var generator = lab.OpenKernelSender();
        var frame = lab.KernelUdpFrame(32);
        IFrameWaitingHint hint = device;
        var counter = new FrameCounter();
        Assert.False(hint.FrameWaiting); // nothing handed over yet: the cursor knows no slot

        int frames = device.Ring!.Value.Frames * 3 / 2;
        for (int i = 0; i < frames; i++)
        {
            generator.Send(frame);
            if (i == 0) Assert.True(device.WaitForFrames(Patience));
            else Assert.True(SpinUntil(() => hint.FrameWaiting), $"frame {i}: sent, not shown waiting");
            Assert.Equal(1, device.Receive(ref counter, 1));
            Assert.False(hint.FrameWaiting, $"frame {i}: a drained ring shows a frame waiting");
        }
        generator.Send(frame);
        generator.Send(frame);
        Assert.True(SpinUntil(() => hint.FrameWaiting));
        Assert.Equal(1, device.Receive(ref counter, 1));
        Assert.True(SpinUntil(() => hint.FrameWaiting), "the second frame is not shown waiting");
        Assert.Equal(1, device.Receive(ref counter, 1));
        Assert.False(hint.FrameWaiting);
        Assert.Equal(frames + 2, device.Stats.FramesReceived);
    }

    private static bool SpinUntil(Func<bool> condition) => SpinWait.SpinUntil(condition, Patience);

    /// <summary>The ring libpcap maps is the one <see cref="CaptureRing"/> predicts for a veth with its default offloads (on).</summary>
    [Fact]
    public void The_capture_ring_is_sized_from_the_receive_window_as_predicted()
    {
        using var lab = VethLink.Create();
        using var device = lab.OpenDevice(receivePath: PcapReceivePath.Ring);

        var expected = CaptureRing.For(1500, offloads: true, PcapDeviceOptions.DefaultSnapshotLength,
            CaptureRing.BufferBytesFor(1500, offloads: true, PcapDeviceOptions.DefaultSnapshotLength, PcapDeviceOptions.DefaultReceiveWindowBytes));
        Assert.Equal(expected, device.Ring);
        var socketMappings = File.ReadLines("/proc/self/maps")
            .Where(line => line.Contains("socket:[", StringComparison.Ordinal))
            .Select(line => line.Split(' ')[0].Split('-'))
            .Select(range => Convert.ToInt64(range[1], 16) - Convert.ToInt64(range[0], 16))
            .ToList();
        Assert.Contains(expected.Bytes, socketMappings);
    }

    [Theory]
    // 1 MiB of ring holds about 15 slots of 64 KiB (offloads are on), so most of a 300-frame burst cannot fit.
    [InlineData(PcapReceivePath.Ring, 300)]
    // A socket's 1 MiB (the kernel allows 2 MiB of skb truesize, about 1 KiB or more per small frame) holds a few thousand.
    [InlineData(PcapReceivePath.Socket, 10_000)]
    public void Kernel_drops_from_a_full_buffer_are_reported(PcapReceivePath path, int sent)
    {
        using var lab = VethLink.Create();
        using var device = lab.OpenDevice(kernelBufferBytes: 1024 * 1024, receivePath: path);
        using var generator = lab.OpenKernelSender();

        generator.Send(lab.KernelUdpFrame(64), sent);
        Thread.Sleep(50);
        var counter = new FrameCounter();
        while (device.Receive(ref counter, 64) > 0) { }
        Thread.Sleep(110); // the socket's PACKET_STATISTICS are read at most every 100 ms, at a receive
        device.Receive(ref counter, 64);

        Assert.True(device.Stats.KernelDrops > 0, $"received {counter.Frames} of {sent} and no drops reported");
        Assert.Equal(sent, counter.Frames + device.Stats.KernelDrops);
    }

    [Fact]
    public void Auto_stays_on_its_socket_for_a_short_exchange_and_opens_no_ring()
    {
        using var lab = VethLink.Create();
        using var device = lab.OpenDevice();
        using var generator = lab.OpenKernelSender();
        var counter = new FrameCounter();

        generator.Send(lab.KernelUdpFrame(1000), 1000); // about 1 MiB, a quarter of RingAfterBytes
        device.CountUntil(ref counter, 1000, Patience);

        Assert.Equal(1000, counter.Frames);
        Assert.False(device.ReceivesFromRing);
        Assert.Null(device.Ring);
    }

    /// <summary>
    /// Auto past <see cref="PcapDevice.RingAfterBytes"/>: the ring is set up beside the socket, and frames sent once it is
    /// ready but before the next receive reach both. Every numbered frame must come out exactly once, across the move.
    /// </summary>
    [Fact]
    public void Auto_moves_to_the_ring_past_its_threshold_without_losing_or_repeating_a_frame()
    {
        const int payload = 1000, overlap = 200;
        int beforeRing = (int)(PcapDevice.RingAfterBytes / payload) + 100;
        using var lab = VethLink.Create();
        using var device = lab.OpenDevice(kernelBufferBytes: 32 << 20);
        using var generator = lab.OpenKernelSender();
        var seen = new int[beforeRing + 2 * overlap];
        var tally = new SequenceTally(seen);
        var frame = lab.KernelUdpFrame(payload);
        int next = 0;
        void ReceiveAllSent()
        {
            var until = MonotonicClock.Now + Patience;
            while (tally.Frames < next && MonotonicClock.Now < until)
            {
                if (device.WaitForFrames(TimeSpan.FromMilliseconds(50))) device.Receive(ref tally, 256);
            }
        }
        void SendNumbered(int count)
        {
            for (int end = next + count; next < end; next++)
            {
                BitConverter.TryWriteBytes(frame.AsSpan(SequenceTally.Offset), next);
                generator.Send(frame);
            }
        }

        // Past the threshold in bursts the socket can hold, each read before the next.
        while (next < beforeRing)
        {
            SendNumbered(Math.Min(100, beforeRing - next));
            ReceiveAllSent();
        }
        var deadline = MonotonicClock.Now + Patience;
        while (!device.RingReady && MonotonicClock.Now < deadline) Thread.Sleep(1);
        Assert.True(device.RingReady, $"the ring was not ready within {Patience} (failure: {device.RingFailure})");
        SendNumbered(overlap); // into the socket and the ring alike
        Thread.Sleep(20);
        ReceiveAllSent();
        SendNumbered(overlap); // the ring's alone
        ReceiveAllSent();

        Assert.True(device.ReceivesFromRing);
        Assert.NotNull(device.Ring);
        Assert.Equal(0, device.Stats.KernelDrops);
        Assert.InRange(device.Stats.SwitchDuplicates, overlap, long.MaxValue);
        Assert.Equal(next, seen.Length);
        Assert.True(seen.All(count => count == 1), $"frames seen other than once: {string.Join(", ", seen.Select((count, number) => (count, number)).Where(p => p.count != 1).Take(10))}");
        Assert.Equal(next, tally.Frames);
        generator.Send(frame);
        Assert.True(SpinUntil(() => ((IFrameWaitingHint)device).FrameWaiting), "the ring taken over shows no waiting frame");
    }

    /// <summary>Counts each numbered frame (the int at <see cref="Offset"/>, the UDP payload's first bytes).</summary>
    private struct SequenceTally(int[] seen) : IFrameReceiver
    {
        public const int Offset = EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + UdpDatagram.HeaderLength;
        public long Frames;

        public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt)
        {
            Frames++;
            seen[BitConverter.ToInt32(frame[Offset..])]++;
        }
    }

    /// <summary>
    /// The segmenting socket opens at the first frame to be segmented, on the poll thread, often mid-transfer. If it cannot
    /// (here: the interface was renamed, so its name no longer resolves; the capture socket is bound by index and stays), the
    /// frame is dropped and counted, the device stops offering segmentation, and nothing throws.
    /// </summary>
    [Fact]
    public void A_segmenting_socket_that_cannot_open_costs_that_frame_and_ends_segmentation_without_throwing()
    {
        using var lab = VethLink.Create();
        using var device = lab.OpenDevice();
        var offload = (ISegmentationOffload)device;
        Assert.True(offload.MaxSegmentedFrameBytes > 0);
        string renamed = "utdrn" + NetworkNamespace.RandomSuffix();
        ProcessRunner.RunChecked("ip", ["link", "set", lab.StackInterface, "down"], Patience);
        ProcessRunner.RunChecked("ip", ["link", "set", lab.StackInterface, "name", renamed], Patience);
        try
        {
            Assert.False(offload.SendSegmented(new byte[3000], 1448));
            Assert.False(offload.SendSegmented(new byte[3000], 1448));
            Assert.Equal(0, offload.MaxSegmentedFrameBytes);
            Assert.Equal(DeviceUnavailableReason.NoSuchInterface, device.SegmentationFailure!.Reason);
            Assert.Equal(2, device.Stats.SendsDropped);
            Assert.False(device.SegmentingSocketOpen);
        }
        finally
        {
            ProcessRunner.Run("ip", ["link", "set", renamed, "name", lab.StackInterface], Patience);
            ProcessRunner.Run("ip", ["link", "set", lab.StackInterface, "up"], Patience);
        }
    }

    [Fact]
    public void A_missing_interface_is_a_DeviceUnavailableException_that_says_so()
    {
        string name = "utdno" + NetworkNamespace.RandomSuffix();
        var failure = Assert.Throws<DeviceUnavailableException>(() =>
            new PcapDevice(new PcapDeviceOptions { InterfaceName = name, StackAddress = new Ipv4Address(198, 18, 0, 2) }));
        Assert.Equal(DeviceUnavailableReason.NoSuchInterface, failure.Reason);
        Assert.Contains(name, failure.Message);
    }
}
