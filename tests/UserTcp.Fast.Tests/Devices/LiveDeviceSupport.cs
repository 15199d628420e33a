using UserTcp.Fast.Devices;
using UserTcp.Fast.Tests.Support;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>Frames and receivers shared by the pcap and TAP tests.</summary>
internal static class LiveFrames
{
    public const ushort DiscardPort = 9;

    /// <summary>Ethernet + IPv4 + UDP to the discard port, <paramref name="payloadLength"/> bytes of payload.</summary>
    public static byte[] Udp(MacAddress from, MacAddress to, Ipv4Address source, Ipv4Address destination, int payloadLength)
    {
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + UdpDatagram.HeaderLength + payloadLength];
        int length = FrameWriter.WriteUdp(frame, new EthernetHeader(to, from, EtherType.Ipv4), new Ipv4Header(source, destination, IpProtocol.Udp),
            new UdpHeader(40000, DiscardPort), new byte[payloadLength]);
        Assert.Equal(frame.Length, length);
        return frame;
    }

    public static byte[] ArpRequest(MacAddress senderMac, Ipv4Address sender, Ipv4Address target)
    {
        var frame = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        FrameWriter.WriteArp(frame, new EthernetHeader(MacAddress.Broadcast, senderMac, EtherType.Arp),
            new ArpMessage(ArpOperation.Request, senderMac, sender, MacAddress.Zero, target));
        return frame;
    }

    public static byte[] ArpReply(MacAddress senderMac, Ipv4Address sender, MacAddress targetMac, Ipv4Address target)
    {
        var frame = new byte[EthernetFrame.HeaderLength + ArpPacket.Length];
        FrameWriter.WriteArp(frame, new EthernetHeader(targetMac, senderMac, EtherType.Arp),
            new ArpMessage(ArpOperation.Reply, senderMac, sender, targetMac, target));
        return frame;
    }

    public static bool IsArp(ReadOnlySpan<byte> frame, ArpOperation operation, out ArpMessage message)
    {
        message = default;
        if (EthernetFrame.TryParse(frame, out var ethernet) != WireStatus.Ok || ethernet.EtherType != EtherType.Arp) return false;
        if (ArpPacket.TryParse(ethernet.Payload, out var arp) != WireStatus.Ok || arp.Operation != operation) return false;
        message = arp.ToMessage();
        return true;
    }

    public static bool IsIcmp(ReadOnlySpan<byte> frame, IcmpType type) =>
        EthernetFrame.TryParse(frame, out var ethernet) == WireStatus.Ok && ethernet.EtherType == EtherType.Ipv4
        && Ipv4Packet.TryParse(ethernet.Payload, out var ip) == WireStatus.Ok && ip.Protocol == IpProtocol.Icmp
        && IcmpPacket.TryParse(ip.Payload, out var icmp) == WireStatus.Ok && icmp.Type == type;

    public static MacAddress SourceOf(ReadOnlySpan<byte> frame) => MacAddress.Read(frame[6..]);
}

/// <summary>Counts frames without touching the heap: the receiver for allocation measurements.</summary>
internal struct FrameCounter : IFrameReceiver
{
    public long Frames;
    public long Bytes;
    public int LargestFrame;
    public Instant LastDeliveredAt;

    public void OnFrame(ReadOnlySpan<byte> frame, Instant deliveredAt)
    {
        Frames++;
        Bytes += frame.Length;
        LargestFrame = Math.Max(LargestFrame, frame.Length);
        LastDeliveredAt = deliveredAt;
    }
}

internal static class LiveDeviceExtensions
{
    /// <summary>Waits and receives into <paramref name="collector"/> until <paramref name="done"/> holds or
    /// <paramref name="timeout"/> passes; returns whether it held.</summary>
    public static bool ReceiveUntil(this INetworkDevice device, FrameCollector collector, Func<List<DeliveredFrame>, bool> done, TimeSpan timeout)
    {
        var deadline = MonotonicClock.Now + timeout;
        while (!done(collector.Frames))
        {
            if (MonotonicClock.Now >= deadline) return false;
            if (device.WaitForFrames(TimeSpan.FromMilliseconds(50))) device.Receive(ref collector, 64);
        }
        return true;
    }

    /// <summary>
    /// WaitForFrames without traffic times out after its 200 ms; then, with <paramref name="frame"/> sent 100 ms later
    /// from another thread, it wakes within 100 ms of the send. Returns when the frame was sent and when the wait woke.
    /// </summary>
    public static (Instant SentAt, Instant WokeAt) AssertWaitTimesOutThenWakesForAFrame(this INetworkDevice device, RawFrameSender generator, byte[] frame)
    {
        var start = MonotonicClock.Now;
        Assert.False(device.WaitForFrames(TimeSpan.FromMilliseconds(200)));
        Assert.InRange(MonotonicClock.Now - start, TimeSpan.FromMilliseconds(195), TimeSpan.FromSeconds(2));

        var sentAt = Instant.Never;
        var sender = new Thread(() =>
        {
            Thread.Sleep(100);
            sentAt = MonotonicClock.Now;
            generator.Send(frame);
        });
        sender.Start();
        Assert.True(device.WaitForFrames(TimeSpan.FromSeconds(10)));
        var wokeAt = MonotonicClock.Now;
        sender.Join();
        Assert.True(wokeAt - sentAt < TimeSpan.FromMilliseconds(100), $"woke {(wokeAt - sentAt).TotalMilliseconds:0.000} ms after the send");
        return (sentAt, wokeAt);
    }

    /// <summary>What a steady-state exchange measured: bytes allocated while receiving and while sending, and receive calls made.</summary>
    public readonly record struct ExchangeCost(long ReceiveBytes, long SendBytes, long ReceiveCalls);

    /// <summary>
    /// Warms up with <paramref name="warmUpFrames"/> frames each way, then receives <paramref name="measuredFrames"/> from
    /// <paramref name="generator"/> in bursts of <paramref name="burst"/> (small enough for the ring, so none is dropped) and
    /// sends as many, measuring what the measured part allocated on this thread and how many receive calls it took.
    /// </summary>
    public static ExchangeCost MeasureSteadyExchange(this INetworkDevice device, RawFrameSender generator, byte[] incoming, byte[] outgoing,
                                                     ref FrameCounter counter, int warmUpFrames, int measuredFrames, int burst, TimeSpan patience)
    {
        ReceiveBursts(ref counter, warmUpFrames);
        SendFrames(warmUpFrames);
        long readsBefore = device.Stats.ReceiveCalls;
        long before = GC.GetAllocatedBytesForCurrentThread();
        ReceiveBursts(ref counter, measuredFrames);
        long afterReceive = GC.GetAllocatedBytesForCurrentThread();
        SendFrames(measuredFrames);
        long afterSend = GC.GetAllocatedBytesForCurrentThread();
        return new ExchangeCost(afterReceive - before, afterSend - afterReceive, device.Stats.ReceiveCalls - readsBefore);

        void ReceiveBursts(ref FrameCounter counter, int frames)
        {
            for (int sent = 0; sent < frames; sent += burst)
            {
                generator.Send(incoming, burst);
                device.CountUntil(ref counter, counter.Frames + burst, patience);
            }
        }

        void SendFrames(int frames)
        {
            for (int i = 0; i < frames; i++) device.Send(outgoing);
            device.Flush();
        }
    }

    /// <summary>Receives into <paramref name="counter"/> until it holds <paramref name="frames"/> frames or <paramref name="timeout"/> passes.</summary>
    public static void CountUntil(this INetworkDevice device, ref FrameCounter counter, long frames, TimeSpan timeout)
    {
        var deadline = MonotonicClock.Now + timeout;
        while (counter.Frames < frames && MonotonicClock.Now < deadline)
        {
            if (device.WaitForFrames(TimeSpan.FromMilliseconds(50))) device.Receive(ref counter, 256);
        }
    }
}

/// <summary>Live-device tests build namespaces and measure timing and allocation: they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveDeviceCollection
{
    public const string Name = "live devices";
}
