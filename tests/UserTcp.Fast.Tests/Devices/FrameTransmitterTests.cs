using UserTcp.Fast.Devices;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>
/// The send path both live devices share, against a non-blocking AF_UNIX datagram socket pair: its receive queue
/// holds only a handful of datagrams, so EAGAIN comes on demand, and each write stays one readable message.
/// </summary>
public sealed class FrameTransmitterTests : IDisposable
{
    private const int QueueCapacity = 4;
    private readonly DatagramPair _pair = new();
    private readonly DeviceCounters _stats = new();
    private readonly FrameTransmitter _transmitter;

    public FrameTransmitterTests()
    {
        _transmitter = new FrameTransmitter(_pair.WriteEnd, "pair", _stats, QueueCapacity, maxFrameBytes: 1518);
    }

    public void Dispose() => _pair.Dispose();

    [Fact]
    public void Refused_frames_queue_in_order_behind_each_other_and_go_out_on_flush()
    {
        int sentAtOnce = 0;
        while (_stats.SendsDeferred == 0) Assert.True(_transmitter.Send(DatagramPair.Frame(sentAtOnce++)));
        sentAtOnce--;
        for (int i = 1; i < QueueCapacity; i++) Assert.True(_transmitter.Send(DatagramPair.Frame(sentAtOnce + i)));
        Assert.Equal(QueueCapacity, _transmitter.Queued);
        Assert.Equal(QueueCapacity, _stats.SendsDeferred);

        Assert.False(_transmitter.Send(DatagramPair.Frame(999)), "a full retry queue drops");
        Assert.Equal(1, _stats.SendsDropped);

        var received = _pair.Drain();
        _transmitter.Flush();
        received.AddRange(_pair.Drain());

        Assert.Equal(0, _transmitter.Queued);
        Assert.Equal(Enumerable.Range(0, sentAtOnce + QueueCapacity), received);
        Assert.Equal(sentAtOnce + QueueCapacity, _stats.FramesSent);
        Assert.True(_stats.SendCalls > _stats.FramesSent, "refused attempts are system calls too");
    }

    [Fact]
    public void A_frame_the_kernel_refuses_as_too_large_is_dropped_and_counted_not_thrown()
    {
        var huge = new byte[1 << 22];
        Assert.False(_transmitter.Send(huge));
        Assert.Equal(1, _stats.Oversize);
        Assert.Equal(1, _stats.SendsDropped);
        Assert.True(_transmitter.Send(DatagramPair.Frame(1)), "the next frame goes");
    }

    [Fact]
    public void A_descriptor_that_is_gone_is_a_DeviceUnavailableException()
    {
        // -1, not a closed number: another test thread could reuse a closed descriptor's number at any moment.
        var transmitter = new FrameTransmitter(-1, "gone", new DeviceCounters(), QueueCapacity, 1518);
        var failure = Assert.Throws<DeviceUnavailableException>(() => transmitter.Send(DatagramPair.Frame(1)));
        Assert.Equal(DeviceUnavailableReason.InterfaceGone, failure.Reason);
    }
}
