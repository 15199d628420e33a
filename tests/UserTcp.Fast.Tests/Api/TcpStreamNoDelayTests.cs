using UserTcp.Fast.Tcp;
using UserTcp.Fast.Tests.Runtime;

namespace UserTcp.Fast.Tests.Api;

/// <summary>
/// <see cref="Fast.Api.TcpStream.NoDelay"/> switches Nagle's algorithm on a live connection: with it off (the default), a
/// second small write waits for the ACK of the first, which the peer holds back for a minute; set, the next one leaves at once.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class TcpStreamNoDelayTests
{
    [Fact]
    public async Task Setting_NoDelay_lets_small_writes_leave_while_earlier_data_is_unacknowledged()
    {
        using var lab = new InProcessStackLab(
            web: new TcpConfig { QuickAckSegments = 0, DelayedAckTimeout = TimeSpan.FromMinutes(1) },
            client: new TcpConfig { MinRetransmissionTimeout = TimeSpan.FromMinutes(1) });
        await using var stream = await lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80);
        Assert.False(stream.NoDelay);
        await stream.WriteAsync("first"u8.ToArray());
        Assert.True(await lab.Eventually(() => stream.Stats.BytesSent == 5), "the first write never left");

        await stream.WriteAsync("held"u8.ToArray());
        await Task.Delay(200);
        Assert.Equal(5, stream.Stats.BytesSent); // Nagle: one small segment outstanding at a time

        stream.NoDelay = true;
        Assert.True(stream.NoDelay);
        await stream.WriteAsync("x"u8.ToArray());
        Assert.True(await lab.Eventually(() => stream.Stats.BytesSent == 10), $"sent {stream.Stats.BytesSent} of 10 with NoDelay");
        Assert.Equal(0, stream.Stats.Retransmissions);
    }
}
