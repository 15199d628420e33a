using System.Buffers;
using UserTcp.Fast.Tests.Runtime;

namespace UserTcp.Fast.Tests.Api;

/// <summary>
/// <see cref="Fast.Api.TcpStream.WriteSequenceAsync"/>, the write of a pipe's segments at once (the Kestrel transport's):
/// every segment arrives, in order, byte-exact, across the send buffer filling and emptying many times over.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class TcpStreamSequenceWriteTests
{
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is null) return;
            RunningIndex = previous.RunningIndex + previous.Memory.Length;
            previous.Next = this;
        }
    }

    /// <summary>Cuts <paramref name="data"/> into segments of 1 to 9,999 bytes, empty ones among them.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] data, Random random)
    {
        Segment? first = null, last = null;
        for (int at = 0; at < data.Length;)
        {
            int length = random.Next(10) == 0 ? 0 : Math.Min(random.Next(1, 10_000), data.Length - at);
            last = new Segment(data.AsMemory(at, length), last);
            first ??= last;
            at += length;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    [Fact]
    public async Task A_sequence_of_many_segments_arrives_whole_and_in_order()
    {
        using var lab = new InProcessStackLab();
        var received = new MemoryStream();
        var scratch = new byte[64 << 10];
        lab.Device.OnPoll = () => // the peer reads everything, on the poll thread
        {
            foreach (var connection in lab.Web.Tcp.Connections)
            {
                int n;
                while ((n = connection.Receive(scratch)) > 0) received.Write(scratch, 0, n);
            }
        };
        await using var stream = await lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80);
        var random = new Random(11);
        var data = new byte[3 << 20]; // several send buffers' worth: the write waits for room many times
        random.NextBytes(data);

        await stream.WriteSequenceAsync(Segmented(data, random)).AsTask().WaitAsync(InProcessStackLab.Bound);
        await stream.WriteSequenceAsync(ReadOnlySequence<byte>.Empty);

        Assert.True(await lab.Eventually(() => received.Length == data.Length), $"{received.Length} of {data.Length} bytes arrived");
        Assert.Equal(data, await lab.OnPollThread(() => received.ToArray()));
    }

    [Fact]
    public async Task A_sequence_write_after_ShutdownWrite_is_refused()
    {
        using var lab = new InProcessStackLab();
        await using var stream = await lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80);
        stream.ShutdownWrite();
        await Assert.ThrowsAsync<IOException>(() => stream.WriteSequenceAsync(new ReadOnlySequence<byte>(new byte[10])).AsTask());
    }
}
