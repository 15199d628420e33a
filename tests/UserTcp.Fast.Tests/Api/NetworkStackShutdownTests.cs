using System.Net.Sockets;
using UserTcp.Fast.Api;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Tests.Runtime;

namespace UserTcp.Fast.Tests.Api;

/// <summary>
/// Stopping the stack as a process's exit stops kernel sockets (<see cref="NetworkStack.ShutdownAsync"/>): what the
/// application wrote still reaches the peer, then a FIN; unread data and a peer that cannot take more end in a RST; the
/// application's waits end; nothing new starts. The peer is an engine on the same poll thread, so once the stack has
/// stopped the test reads the peer's state without racing it.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class NetworkStackShutdownTests
{
    private static readonly TimeSpan Bound = InProcessStackLab.Bound;

    [Fact]
    public async Task Shutdown_delivers_what_the_application_wrote_then_a_fin()
    {
        var lab = new InProcessStackLab();
        var stream = await lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80);
        var written = new byte[48 * 1024]; // within the peer's first window: nobody reads on its side
        Random.Shared.NextBytes(written);
        await stream.WriteAsync(written);

        await lab.Stack.ShutdownAsync(Bound).WaitAsync(Bound * 2);

        var peer = Assert.Single(lab.Web.Tcp.Connections);
        Assert.Equal(TcpState.CloseWait, peer.State); // our FIN arrived after the data, and no RST followed it
        var received = new byte[written.Length + 1];
        Assert.Equal(written.Length, peer.Receive(received));
        Assert.Equal(written, received[..written.Length]);
        await Assert.ThrowsAnyAsync<Exception>(() => stream.ReadAsync(new byte[1]).AsTask()); // the stream was closed under it
    }

    [Fact] // RFC 2525 §2.17 and Linux's tcp_close: data the application never read is lost, and the peer learns it
    public async Task Shutdown_resets_a_connection_with_unread_data()
    {
        var lab = new InProcessStackLab();
        _ = await lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80);
        Assert.True(await lab.Eventually(() => lab.Web.Tcp.Connections.Any(c => c.State == TcpState.Established)));
        var peer = await lab.OnPollThread(() => lab.Web.Tcp.Connections.Single());
        await lab.OnPollThread(() => peer.Send("never read"u8));
        Assert.True(await lab.Eventually(() => lab.Stack.Loop.Interface.Tcp.Connections.Single().BytesAvailable > 0), "the peer's data never arrived");

        await lab.Stack.ShutdownAsync(Bound).WaitAsync(Bound * 2);

        Assert.Equal(TcpState.Closed, peer.State);
        Assert.Equal(TcpError.ConnectionReset, peer.Error);
    }

    [Fact] // a peer that cannot take what is left holds the stop for the timeout only; then it is reset
    public async Task Shutdown_resets_what_is_still_sending_when_the_timeout_passes()
    {
        var lab = new InProcessStackLab();
        var stream = await lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80);
        var write = stream.WriteAsync(new byte[16 << 20]).AsTask(); // far more than the peer's receive buffer: it never reads
        Assert.True(await lab.Eventually(() => lab.Web.Tcp.Connections.Any(c => c.BytesAvailable > 0)), "no data reached the peer");
        var peer = await lab.OnPollThread(() => lab.Web.Tcp.Connections.Single());

        var timeout = TimeSpan.FromMilliseconds(300);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await lab.Stack.ShutdownAsync(timeout).WaitAsync(Bound * 2);
        Assert.True(clock.Elapsed >= timeout, $"the stop did not wait for the timeout ({clock.Elapsed.TotalMilliseconds:0} ms)");

        Assert.Equal(TcpError.ConnectionReset, peer.Error);
        await Assert.ThrowsAnyAsync<Exception>(() => write.WaitAsync(Bound)); // the writer waiting for room was woken
    }

    [Fact]
    public async Task Shutdown_ends_waiting_accepts_and_refuses_new_work()
    {
        var lab = new InProcessStackLab();
        var listener = lab.Stack.Listen(8080);
        var accept = listener.AcceptAsync().AsTask();

        await lab.Stack.ShutdownAsync(Bound).WaitAsync(Bound * 2);

        var aborted = await Assert.ThrowsAsync<SocketException>(() => accept.WaitAsync(Bound));
        Assert.Equal(SocketError.OperationAborted, aborted.SocketErrorCode);
        await Assert.ThrowsAnyAsync<ObjectDisposedException>(() => lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80));
        Assert.ThrowsAny<ObjectDisposedException>(() => lab.Stack.Listen(8081));
    }

    [Fact] // Dispose does not wait: it resets, so the peer does not retransmit to an address nobody answers for any more
    public async Task Dispose_resets_open_connections()
    {
        var lab = new InProcessStackLab();
        _ = await lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80);
        Assert.True(await lab.Eventually(() => lab.Web.Tcp.Connections.Any(c => c.State == TcpState.Established)));
        var peer = await lab.OnPollThread(() => lab.Web.Tcp.Connections.Single());

        lab.Stack.Dispose();

        Assert.Equal(TcpError.ConnectionReset, peer.Error);
    }
}
