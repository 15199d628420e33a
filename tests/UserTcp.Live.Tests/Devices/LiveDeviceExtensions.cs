using UserTcp.Fast.Devices;
using UserTcp.Fast.Time;
using UserTcp.Testbed.Frames;

namespace UserTcp.Live.Tests.Devices;

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
