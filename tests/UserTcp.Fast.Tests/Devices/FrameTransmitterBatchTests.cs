using UserTcp.Fast.Devices;

namespace UserTcp.Fast.Tests.Devices;

/// <summary>
/// The batched send path (sendmmsg) against a non-blocking AF_UNIX datagram socket pair, whose small receive queue
/// refuses on demand (EAGAIN): frames wait for the flush, a batch is one system call, the bound flushes early, a partial
/// sendmmsg leaves the rest queued in order, and nothing is lost or reordered.
/// </summary>
public sealed class FrameTransmitterBatchTests : IDisposable
{
    private const int QueueCapacity = 32;
    private const int BatchFrames = 8;
    private readonly DatagramPair _pair = new();
    private readonly DeviceCounters _stats = new();
    private readonly FrameTransmitter _transmitter;

    public FrameTransmitterBatchTests()
    {
        _transmitter = new FrameTransmitter(_pair.WriteEnd, "pair", _stats, QueueCapacity, maxFrameBytes: 1518, BatchFrames);
    }

    public void Dispose() => _pair.Dispose();

    [Fact]
    public void Frames_wait_for_the_flush_and_go_in_one_call_in_order()
    {
        for (int i = 0; i < 5; i++) Assert.True(_transmitter.Send(DatagramPair.Frame(i)));
        Assert.Empty(_pair.Drain());
        Assert.Equal(0, _stats.SendCalls);

        _transmitter.Flush();

        Assert.Equal([0, 1, 2, 3, 4], _pair.Drain());
        Assert.Equal((1L, 5L, 0), (_stats.SendCalls, _stats.FramesSent, _transmitter.Queued));
        Assert.Equal(5 * 64, _stats.BytesSent);
    }

    [Fact]
    public void A_full_batch_is_sent_at_once_without_waiting_for_the_flush()
    {
        for (int i = 0; i < BatchFrames + 2; i++) Assert.True(_transmitter.Send(DatagramPair.Frame(i)));

        Assert.Equal(Enumerable.Range(0, BatchFrames), _pair.Drain());
        Assert.Equal((1L, 2), (_stats.SendCalls, _transmitter.Queued));
        _transmitter.Flush();
        Assert.Equal([BatchFrames, BatchFrames + 1], _pair.Drain());
    }

    [Fact]
    public void A_partial_send_keeps_the_rest_in_order_and_loses_nothing()
    {
        // Send until the peer's socket is full: a batch's sendmmsg takes a prefix, then EAGAIN leaves the rest waiting.
        int next = 0;
        while (_stats.SendsDeferred == 0) Assert.True(_transmitter.Send(DatagramPair.Frame(next++)));
        Assert.True(_transmitter.Queued > 0);
        Assert.True(_stats.FramesSent > 0, "not even a prefix went");
        Assert.Equal(_transmitter.Queued, _stats.SendsDeferred);
        long deferredOnce = _stats.SendsDeferred;

        // A refused flush again: the same frames wait, and are not counted as deferred twice.
        _transmitter.Flush();
        Assert.Equal(deferredOnce, _stats.SendsDeferred);

        // New frames queue behind the waiting ones; draining the peer lets everything out, in the order it was sent.
        var received = _pair.Drain();
        for (int i = 0; i < 3; i++) Assert.True(_transmitter.Send(DatagramPair.Frame(next++)));
        while (_transmitter.Queued > 0)
        {
            _transmitter.Flush();
            received.AddRange(_pair.Drain());
        }
        Assert.Equal(Enumerable.Range(0, next), received);
        Assert.Equal((next, 0L), (_stats.FramesSent, _stats.SendsDropped));
        Assert.True(_stats.SendCalls < _stats.FramesSent, "batches are fewer calls than frames");
    }

    [Fact]
    public void A_full_queue_drops_the_new_frame_and_keeps_the_queued_ones()
    {
        int next = 0;
        while (_stats.SendsDropped == 0) _transmitter.Send(DatagramPair.Frame(next++));
        int dropped = next - 1;
        Assert.Equal(QueueCapacity, _transmitter.Queued);

        var received = _pair.Drain();
        while (_transmitter.Queued > 0)
        {
            _transmitter.Flush();
            received.AddRange(_pair.Drain());
        }
        Assert.Equal(Enumerable.Range(0, next).Where(i => i != dropped), received);
    }

    [Fact]
    public void A_frame_larger_than_a_buffer_is_dropped_and_counted_and_the_next_goes()
    {
        Assert.False(_transmitter.Send(new byte[4096]));
        Assert.Equal((1L, 1L), (_stats.Oversize, _stats.SendsDropped));
        Assert.True(_transmitter.Send(DatagramPair.Frame(7)));
        _transmitter.Flush();
        Assert.Equal([7], _pair.Drain());
    }

    [Fact]
    public void A_descriptor_that_is_gone_is_a_DeviceUnavailableException_at_the_flush()
    {
        var transmitter = new FrameTransmitter(-1, "gone", new DeviceCounters(), QueueCapacity, 1518, BatchFrames);
        Assert.True(transmitter.Send(DatagramPair.Frame(1)));
        var failure = Assert.Throws<DeviceUnavailableException>(transmitter.Flush);
        Assert.Equal(DeviceUnavailableReason.InterfaceGone, failure.Reason);
    }
}
