using UserTcp.Fast.Api;
using UserTcp.Fast.Native;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Tests.Runtime;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Api;

/// <summary>
/// The public API at the edges of a connection's life, on the stack's own poll thread over an in-process device: a
/// connect cancelled after its command was queued, a stream disposed after the stack stopped, and the connections the
/// HttpClient handler opens. They hold poll threads and wait on the thread pool for seconds, so they run alone: run
/// beside the parallel tests, a DNS cancellation test's 200 ms timer fired late about one full run in five.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class NetworkStackLifecycleTests
{
    private static readonly Ipv4Address Listening = InProcessStackLab.Peer, Silent = new(198, 18, 0, 99);
    private static readonly TimeSpan Bound = InProcessStackLab.Bound;

    [Theory] // established: the abort sends a RST and the peer forgets it too; SYN-SENT: the connection is just forgotten
    [InlineData("198.18.0.11")]
    [InlineData("198.18.0.99")]
    public async Task A_connect_cancelled_after_its_command_was_queued_leaves_no_connection(string address)
    {
        using var lab = new InProcessStackLab();
        await lab.OnPollThread(() =>
        {
            lab.Stack.Loop.Interface.AddStaticNeighbor(Silent, MacAddress.Parse("02:00:00:00:01:63")); // SYNs to nobody: SYN-SENT for minutes
            return 0;
        });
        using var entered = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var blocker = lab.OnPollThread(() =>
        {
            entered.Set();
            return gate.Wait(Bound);
        });
        Assert.True(entered.Wait(Bound));
        using var cancel = new CancellationTokenSource();
        var connect = lab.Stack.ConnectAsync(Ipv4Address.Parse(address), 80, cancel.Token); // queued behind the blocker
        cancel.Cancel();
        gate.Set();
        Assert.True(await blocker);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect);
        Assert.True(await lab.Eventually(() => lab.Stack.Loop.Interface.Tcp.ConnectionCount == 0 && lab.Web.Tcp.ConnectionCount == 0),
            $"connections left: ours {await lab.OnPollThread(() => lab.Stack.Loop.Interface.Tcp.ConnectionCount)}, the peer's {await lab.OnPollThread(() => lab.Web.Tcp.ConnectionCount)}");
    }

    [Fact] // the stack's eventfd is closed when it stops; a late nudge must not reach a descriptor that reuses its number
    public async Task Disposing_a_stream_after_the_stack_stopped_writes_to_no_descriptor()
    {
        var lab = new InProcessStackLab();
        var stream = await lab.Stack.ConnectAsync(Listening, 80);
        lab.Stack.Dispose();
        // Descriptors take the lowest free number, so one of these very likely reuses the stack's eventfd's.
        int[] probes = [.. Enumerable.Range(0, 16).Select(_ => Libc.EventFd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC))];
        try
        {
            Assert.All(probes, fd => Assert.True(fd >= 0));
            stream.Dispose();
            Assert.All(probes, fd => Assert.Equal(0ul, Counter(fd)));
        }
        finally
        {
            foreach (int fd in probes) Libc.Close(fd);
        }
    }

    [Fact] // as NetworkStream: a read waiting for data ends when another thread disposes the stream
    public async Task Disposing_a_stream_ends_its_pending_read_and_write()
    {
        using var lab = new InProcessStackLab();
        var stream = await lab.Stack.ConnectAsync(Listening, 80); // the peer never sends, and never reads past its window
        var read = stream.ReadAsync(new byte[1]).AsTask();
        var write = stream.WriteAsync(new byte[16 << 20]).AsTask(); // more than the ring and the peer's window hold (4 MiB each)
        await Task.Delay(50);
        Assert.False(read.IsCompleted || write.IsCompleted);
        stream.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => read.WaitAsync(Bound));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => write.WaitAsync(Bound));
    }

    [Fact] // SocketsHttpHandler cancels a request by disposing the connection's stream: the pending read must end
    public async Task A_cancelled_http_request_ends()
    {
        using var lab = new InProcessStackLab();
        using var client = new HttpClient(lab.Stack.CreateHttpHandler());
        using var cancel = new CancellationTokenSource();
        var request = client.GetAsync($"http://{Listening}/", cancel.Token); // the peer accepts and never answers
        Assert.True(await lab.Eventually(() => lab.Web.Tcp.Connections.Any(c => c.BytesAvailable > 0)), "the request never arrived");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request.WaitAsync(Bound));
    }

    /// <summary>An eventfd's counter, read without blocking: 0 when nothing was written to it (EAGAIN).</summary>
    private static unsafe ulong Counter(int fd)
    {
        ulong value = 0;
        return Libc.Read(fd, (byte*)&value, sizeof(ulong)) == sizeof(ulong) ? value : 0;
    }

    [Fact] // SocketsHttpHandler sets NoDelay on its own sockets; ours: a small write leaves while the request is unacknowledged
    public async Task The_http_handler_connects_with_Nagle_off()
    {
        // The peer holds its ACK of the request for a minute and our retransmission timer waits as long, so with Nagle on
        // the small write below would wait a minute.
        using var lab = new InProcessStackLab(
            web: new TcpConfig { QuickAckSegments = 0, DelayedAckTimeout = TimeSpan.FromMinutes(1) },
            client: new TcpConfig { MinRetransmissionTimeout = TimeSpan.FromMinutes(1) });
        using var handler = lab.Stack.CreateHttpHandler();
        var opened = new TaskCompletionSource<TcpStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        var connect = handler.ConnectCallback!;
        handler.ConnectCallback = async (context, cancel) =>
        {
            var stream = await connect(context, cancel);
            opened.SetResult((TcpStream)stream);
            return stream;
        };
        using var client = new HttpClient(handler);
        var request = client.GetAsync($"http://{Listening}/"); // the peer accepts and never answers

        var stream = await opened.Task.WaitAsync(Bound);
        Assert.True(await lab.Eventually(() => stream.Stats.BytesSent > 0), "the request never left");
        long requestBytes = stream.Stats.BytesSent;
        await stream.WriteAsync("x"u8.ToArray());
        Assert.True(await lab.Eventually(() => stream.Stats.BytesSent == requestBytes + 1), "the small write waited for the request's ACK");
        Assert.Equal(0, stream.Stats.Retransmissions);

        lab.Dispose(); // fails the request's pending read
        await Assert.ThrowsAnyAsync<Exception>(() => request);
    }
}
