using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Tap;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Checkers;
using UserTcp.Testbed.Frames;
using UserTcp.Testbed.Namespaces;
using Xunit.Abstractions;

namespace UserTcp.Live.Tests.Devices;

/// <summary><see cref="TapDevice"/> against the kernel of a fresh namespace (see <see cref="TapLink"/>). Needs root: fails, never skips, without it.</summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class TapDeviceTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    /// <summary>A destination the kernel drops quietly (not the TAP's MAC), so our sends cause no replies.</summary>
    private static readonly MacAddress NobodysMac = new(0x02_00_00_00_00_99);

    [Fact]
    public void Creates_the_tap_in_the_namespace_and_keeps_a_locally_administered_mac_of_its_own()
    {
        using var lab = TapLink.Create();
        var device = lab.Device;

        Assert.Equal(TapLink.TapNameIn(lab.Kernel), device.Name);
        Assert.Equal(1500, device.Mtu);
        Assert.True(device.IsHostLocal);
        Assert.NotEqual(lab.KernelMac, device.MacAddress);
        Assert.False(device.MacAddress.IsMulticast, "unicast");
        Assert.True((device.MacAddress.Value & 0x0200_0000_0000) != 0, "locally administered");
        Assert.Contains("tap", lab.Kernel.Exec("ip", "-d", "link", "show", device.Name));
    }

    [Fact]
    public void Kernel_arp_request_arrives_and_after_our_reply_its_pings_do_too_and_get_our_answers()
    {
        using var lab = TapLink.Create();
        var device = lab.Device;
        var collector = new FrameCollector();
        var reply = new byte[2048];
        int arpRequests = 0, echoRequests = 0;

        using (var ping = lab.Kernel.Start("ping", "-c", "3", "-i", "0.2", "-W", "1", $"{lab.StackAddress}"))
        {
            var deadline = MonotonicClock.Now + Patience;
            while (!ping.HasExited && MonotonicClock.Now < deadline)
            {
                if (!device.WaitForFrames(TimeSpan.FromMilliseconds(50))) continue;
                collector.Frames.Clear();
                device.Receive(ref collector, 16);
                foreach (var frame in collector.Frames) AnswerAsTheStack(frame.Bytes);
            }
            var result = ping.WaitForExit(Patience);
            Assert.True(result.ExitCode == 0, $"the kernel's pings went unanswered:\n{result.Output}{result.Error}");
        }

        Assert.True(arpRequests >= 1, "the kernel's ARP request for the stack's address came through Receive");
        Assert.Equal(3, echoRequests);
        Assert.Equal(arpRequests + echoRequests, device.Stats.FramesSent);

        void AnswerAsTheStack(byte[] frame)
        {
            if (Checker.Matches(frame, EthernetCheck.Arp(ArpCheck.Operation(ArpOperation.Request), ArpCheck.TargetAddress(lab.StackAddress))))
            {
                arpRequests++;
                Checker.Frame(frame, EthernetCheck.Arp(ArpCheck.SenderMac(lab.KernelMac)));
                EthernetFrame.TryParse(frame, out var ethernet);
                ArpPacket.TryParse(ethernet.Payload, out var request);
                Assert.True(device.Send(LiveFrames.ArpReply(device.MacAddress, lab.StackAddress, request.SenderHardwareAddress, request.SenderProtocolAddress)));
            }
            else if (Checker.Matches(frame, EthernetCheck.Ipv4(Ipv4Check.Icmp(IcmpCheck.Type(IcmpType.EchoRequest)))))
            {
                echoRequests++;
                EthernetFrame.TryParse(frame, out var ethernet);
                Ipv4Packet.TryParse(ethernet.Payload, out var ip);
                IcmpPacket.TryParse(ip.Payload, out var echo);
                int length = FrameWriter.WriteIcmpEcho(reply, new EthernetHeader(ethernet.Source, device.MacAddress, EtherType.Ipv4),
                    new Ipv4Header(lab.StackAddress, ip.Source, IpProtocol.Icmp), new IcmpEchoHeader(IcmpType.EchoReply, echo.Identifier, echo.SequenceNumber),
                    echo.Payload);
                Assert.True(device.Send(reply.AsSpan(0, length)));
            }
        }
    }

    [Fact]
    public void WaitForFrames_times_out_without_traffic_and_wakes_promptly_when_a_frame_arrives()
    {
        using var lab = TapLink.Create();
        var device = lab.Device;
        using var generator = lab.OpenKernelSender();
        var frame = lab.KernelUdpFrame(32);
        var drained = new FrameCounter();
        device.Receive(ref drained, 64);

        var (sentAt, _) = device.AssertWaitTimesOutThenWakesForAFrame(generator, frame);

        var counter = new FrameCounter();
        Assert.Equal(1, device.Receive(ref counter, 16));
        Assert.Equal(frame.Length, counter.LargestFrame);
        Assert.InRange(counter.LastDeliveredAt.Nanoseconds, sentAt.Nanoseconds, MonotonicClock.Now.Nanoseconds);
    }

    [Theory] // batched: up to 16 reads per io_uring_enter(2); single: one read(2) per frame
    [InlineData(true)]
    [InlineData(false)]
    public void Steady_state_receive_and_send_allocate_nothing_per_frame_and_read_in_batches_or_once_per_frame(bool batched)
    {
        const int burst = 200;
        const int measuredFrames = 10_000;
        using var lab = TapLink.Create(batched);
        var device = lab.Device;
        Assert.True(device.ReadsBatched == batched, $"reads batched: {device.ReadsBatched} ({device.BatchingUnavailableReason})");
        using var generator = lab.OpenKernelSender();
        var incoming = lab.KernelUdpFrame(64);
        var outgoing = LiveFrames.Udp(device.MacAddress, NobodysMac, lab.StackAddress, lab.KernelAddress, 64);
        var counter = new FrameCounter();

        var cost = device.MeasureSteadyExchange(generator, incoming, outgoing, ref counter, 2_000, measuredFrames, burst, Patience);
        long reads = cost.ReceiveCalls;

        Assert.Equal(2_000 + measuredFrames, counter.Frames);
        Assert.Equal(0, cost.ReceiveBytes);
        Assert.Equal(0, cost.SendBytes);
        Assert.Equal(2_000 + measuredFrames, device.Stats.FramesSent);
        Assert.Equal(device.Stats.FramesSent, device.Stats.SendCalls);
        output.WriteLine($"{reads} receive system calls for {measuredFrames} frames: {reads / (double)measuredFrames:0.000} per frame");
        if (batched) Assert.InRange(reads, measuredFrames / 16, measuredFrames / 4); // bursts of 200: mostly full batches
        else Assert.InRange(reads, measuredFrames, measuredFrames * 2);
    }

    [Fact] // what io_uring reads into its slots comes out whole and in the order the kernel queued it
    public void Batched_reads_deliver_every_frame_whole_and_in_order()
    {
        const int frames = 300;
        using var lab = TapLink.Create();
        var device = lab.Device;
        Assert.True(device.ReadsBatched, device.BatchingUnavailableReason);
        using var generator = lab.OpenKernelSender();
        var drained = new FrameCounter();
        device.Receive(ref drained, 64);
        var template = lab.KernelUdpFrame(64);
        var sent = new List<byte[]>();
        for (int i = 0; i < frames; i++)
        {
            var frame = template.ToArray();
            frame.AsSpan(frame.Length - 64).Fill((byte)i); // a UDP payload of its own; the checksum is nobody's concern here
            BitConverter.TryWriteBytes(frame.AsSpan(frame.Length - 4), i);
            sent.Add(frame);
            generator.Send(frame);
        }
        var collector = new FrameCollector();
        var deadline = MonotonicClock.Now + Patience;
        while (collector.Frames.Count < frames && MonotonicClock.Now < deadline)
            if (device.WaitForFrames(TimeSpan.FromMilliseconds(50))) device.Receive(ref collector, 64);

        var ours = collector.Frames.Where(f => f.Bytes.Length == template.Length && f.Bytes.AsSpan(0, 12).SequenceEqual(template.AsSpan(0, 12))).ToList();
        Assert.Equal(frames, ours.Count);
        for (int i = 0; i < frames; i++) Assert.True(sent[i].AsSpan().SequenceEqual(ours[i].Bytes), $"frame {i} differs or is out of order");
        Assert.True(device.Stats.ReceiveCalls < frames / 2, $"{device.Stats.ReceiveCalls} receive calls for {frames} frames");
    }

    [Fact]
    public void Attaches_to_a_persistent_tap_which_outlives_it_and_refuses_a_second_holder()
    {
        using var space = NetworkNamespace.Create();
        string name = TapLink.TapNameIn(space);
        space.Exec("ip", "tuntap", "add", "mode", "tap", "name", name);
        var options = new TapDeviceOptions { InterfaceName = name };

        using (var device = space.Enter(() => new TapDevice(options)))
        {
            Assert.Equal(name, device.Name);
            var busy = Assert.Throws<AggregateException>(() => space.Enter(() => new TapDevice(options)));
            var failure = Assert.IsType<DeviceUnavailableException>(busy.InnerException);
            Assert.Equal(DeviceUnavailableReason.InUse, failure.Reason);
        }
        space.Exec("ip", "link", "show", name);
    }

    [Fact] // nothing of a closed device holds the TAP: not the io_uring of its batched reads, whose teardown the kernel defers
    public void Disposing_lets_go_of_the_tap_at_once_a_persistent_one_for_the_next_holder_a_created_one_entirely()
    {
        using var space = NetworkNamespace.Create();
        string name = TapLink.TapNameIn(space);
        space.Exec("ip", "tuntap", "add", "mode", "tap", "name", name);
        var persistent = new TapDeviceOptions { InterfaceName = name };
        for (int attach = 0; attach < 20; attach++)
        {
            var error = space.Enter(() =>
            {
                try
                {
                    using var device = new TapDevice(persistent);
                    var counter = new FrameCounter();
                    device.Receive(ref counter, 16);
                    return device.ReadsBatched ? null : $"reads not batched: {device.BatchingUnavailableReason}";
                }
                catch (DeviceUnavailableException e)
                {
                    return $"attach {attach}: {e.Message}";
                }
            });
            Assert.Null(error);
        }
        space.Exec("ip", "link", "delete", name);

        string created = name + "x";
        space.Enter(() =>
        {
            using var device = new TapDevice(new TapDeviceOptions { InterfaceName = created });
            var counter = new FrameCounter();
            device.Receive(ref counter, 16);
            return 0;
        });
        Assert.DoesNotContain(created, space.Exec("ip", "-br", "link"));
    }

    [Fact]
    public void A_name_taken_by_another_kind_of_interface_is_WrongKind()
    {
        using var space = NetworkNamespace.Create();
        var wrapped = Assert.Throws<AggregateException>(() => space.Enter(() => new TapDevice(new TapDeviceOptions { InterfaceName = "lo" })));
        var failure = Assert.IsType<DeviceUnavailableException>(wrapped.InnerException);
        Assert.Equal(DeviceUnavailableReason.WrongKind, failure.Reason);
        Assert.Contains("lo", failure.Message);
    }
}
