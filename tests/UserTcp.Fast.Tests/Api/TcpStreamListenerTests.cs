using System.Net;
using System.Net.Sockets;
using System.Text;
using UserTcp.Fast.Api;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Tests.Runtime;
using UserTcp.Fast.Time;
using static UserTcp.Fast.Tests.Dns.DnsTestNetwork;

namespace UserTcp.Fast.Tests.Api;

/// <summary>
/// <see cref="TcpStreamListener"/> on the stack's poll thread, with an in-process host as the connecting client: accepted
/// streams carry data both ways, the backlog bounds what waits, and stopping (or the stack stopping) ends waiting accepts
/// the way sockets do. Held in the stress collection for the same reason as <see cref="NetworkStackLifecycleTests"/>.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class TcpStreamListenerTests
{
    private static readonly TimeSpan Bound = InProcessStackLab.Bound;

    /// <summary>An active open from the far host to the stack's <paramref name="port"/>.</summary>
    private static Task<TcpConnection> ConnectFromPeer(InProcessStackLab lab, int port) =>
        lab.OnPollThread(() => lab.Web.Tcp.Connect(InProcessStackLab.Peer, ClientAddress, (ushort)port, MonotonicClock.Now));

    [Fact]
    public async Task An_accepted_stream_knows_its_endpoints_and_carries_data_both_ways_and_closes_gracefully()
    {
        using var lab = new InProcessStackLab();
        using var listener = lab.Stack.Listen(8080);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.18.0.2"), 8080), listener.LocalEndPoint);
        var peer = await ConnectFromPeer(lab, 8080);
        var stream = await listener.AcceptAsync().AsTask().WaitAsync(Bound);

        Assert.Equal(ClientAddress, stream.LocalAddress);
        Assert.Equal(8080, stream.LocalPort);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.18.0.11"), peer.Tuple.LocalPort), stream.RemoteEndPoint);
        Assert.Equal(0, listener.PendingCount);

        Assert.Equal(5, await lab.OnPollThread(() => peer.Send("hello"u8)));
        var buffer = new byte[16];
        int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Bound);
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, read));
        await stream.WriteAsync("world"u8.ToArray());
        Assert.True(await lab.Eventually(() => peer.BytesAvailable == 5), "the reply never arrived");

        await lab.OnPollThread(() =>
        {
            peer.Close();
            return 0;
        });
        Assert.Equal(0, await stream.ReadAsync(buffer).AsTask().WaitAsync(Bound)); // the peer's FIN
        await stream.DisposeAsync();
        Assert.True(await lab.Eventually(() => peer.PeerFinReceived), "our FIN never arrived");
        Assert.Equal(0, await lab.OnPollThread(() => lab.Stack.Loop.Interface.Tcp.Stats.ResetsSent));
    }

    [Fact]
    public void A_port_listens_once_and_arguments_are_checked()
    {
        using var lab = new InProcessStackLab();
        using var listener = lab.Stack.Listen(8080);
        var e = Assert.Throws<SocketException>(() => lab.Stack.Listen(8080));
        Assert.Equal(SocketError.AddressAlreadyInUse, e.SocketErrorCode);
        Assert.Throws<ArgumentOutOfRangeException>(() => lab.Stack.Listen(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => lab.Stack.Listen(65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => lab.Stack.Listen(8081, backlog: 0));
        listener.Stop();
        using var again = lab.Stack.Listen(8080); // a stopped listener frees its port
    }

    [Fact] // established connections waiting for an accept count against the backlog; an accept makes room
    public async Task The_backlog_bounds_the_connections_waiting_for_an_accept()
    {
        using var lab = new InProcessStackLab();
        using var listener = lab.Stack.Listen(8080, backlog: 2);
        TcpConnection[] peers = [await ConnectFromPeer(lab, 8080), await ConnectFromPeer(lab, 8080)];
        // The third SYN must find the queue full: sent with the first two, it could arrive before their handshakes end,
        // be answered, and see its ACK dropped instead (Linux's ListenOverflows, tested in the engine's tests).
        Assert.True(await lab.Eventually(() => listener.PendingCount == 2), $"pending {listener.PendingCount}");
        peers = [.. peers, await ConnectFromPeer(lab, 8080)];
        Assert.True(await lab.Eventually(() => lab.Stack.Loop.Interface.Tcp.Stats.SynsDroppedByBacklog > 0), "the third SYN was not dropped");
        Assert.True(listener.Pending());
        Assert.Equal(1, await lab.OnPollThread(() => peers.Count(p => p.State == TcpState.SynSent)));

        await using var first = await listener.AcceptAsync();
        // The third client's retransmitted SYN (after its 1 s retransmission timeout) now finds room.
        Assert.True(await lab.Eventually(() => listener.PendingCount == 2), $"pending {listener.PendingCount}");
        await using var second = await listener.AcceptAsync();
        await using var third = await listener.AcceptAsync();
        Assert.Equal(peers.Select(p => p.Tuple.LocalPort).Order(), new[] { first.RemotePort, second.RemotePort, third.RemotePort }.Order());
        Assert.False(listener.Pending());
    }

    [Fact] // as closing a listening socket: waiting accepts fail, unaccepted connections are reset, new SYNs refused
    public async Task Stopping_fails_waiting_accepts_resets_unaccepted_connections_and_refuses_new_ones()
    {
        using var lab = new InProcessStackLab();
        var waiting = lab.Stack.Listen(8081);
        var accept = waiting.AcceptAsync().AsTask();
        waiting.Stop();
        var aborted = await Assert.ThrowsAsync<SocketException>(() => accept.WaitAsync(Bound));
        Assert.Equal(SocketError.OperationAborted, aborted.SocketErrorCode);
        await Assert.ThrowsAsync<SocketException>(() => waiting.AcceptAsync().AsTask());

        var listener = lab.Stack.Listen(8080);
        var unaccepted = await ConnectFromPeer(lab, 8080);
        Assert.True(await lab.Eventually(() => listener.PendingCount == 1));
        listener.Stop();
        Assert.True(await lab.Eventually(() => unaccepted.IsClosed), "the unaccepted connection was not reset");
        Assert.Equal(TcpError.ConnectionReset, await lab.OnPollThread(() => unaccepted.Error));
        var refused = await ConnectFromPeer(lab, 8080);
        Assert.True(await lab.Eventually(() => refused.IsClosed));
        Assert.Equal(TcpError.ConnectionRefused, await lab.OnPollThread(() => refused.Error));
    }

    [Fact]
    public async Task A_cancelled_accept_leaves_the_listener_working_and_the_stack_stopping_aborts_accepts()
    {
        var lab = new InProcessStackLab();
        var listener = lab.Stack.Listen(8080);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listener.AcceptAsync(cancel.Token).AsTask());
        await ConnectFromPeer(lab, 8080);
        await using (await listener.AcceptAsync().AsTask().WaitAsync(Bound)) { }

        var accept = listener.AcceptAsync().AsTask();
        lab.Dispose();
        var e = await Assert.ThrowsAsync<SocketException>(() => accept.WaitAsync(Bound));
        Assert.Equal(SocketError.OperationAborted, e.SocketErrorCode);
        listener.Stop(); // after the stack stopped: nothing left to do, and no exception
    }
}
