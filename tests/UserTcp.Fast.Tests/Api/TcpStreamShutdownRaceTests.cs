using UserTcp.Fast.Tests.Runtime;

namespace UserTcp.Fast.Tests.Api;

/// <summary>
/// A write racing the stream's own ShutdownWrite from another thread: every byte of a write that returned reaches the
/// peer before the FIN, and a write that did not get all its bytes in before the FIN fails (IOException) instead of
/// returning as if they were sent. The peer checks the bytes it gets are the stream's prefix.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class TcpStreamShutdownRaceTests
{
    private const int WriteSize = 256 << 10; // several times the send buffer's first room (64 KiB): writers wait mid-write

    [Fact]
    public async Task A_write_racing_shutdown_either_gets_its_bytes_before_the_fin_or_fails()
    {
        using var lab = new InProcessStackLab();
        long received = 0;
        bool finReceived = false, prefix = true;
        var buffer = new byte[64 << 10];
        lab.Device.OnPoll = () => // the peer's application, on the poll thread: read everything, check it is the pattern
        {
            foreach (var connection in lab.Web.Tcp.Connections)
            {
                int n;
                while ((n = connection.Receive(buffer)) > 0)
                {
                    for (int i = 0; i < n; i++) prefix &= buffer[i] == Pattern(received + i);
                    received += n;
                }
                finReceived |= connection.PeerFinReceived && connection.BytesAvailable == 0;
            }
        };
        var data = new byte[WriteSize * 8];
        for (int i = 0; i < data.Length; i++) data[i] = Pattern(i);

        for (int round = 0; round < 20; round++)
        {
            await lab.OnPollThread(() => { received = 0; finReceived = false; return 0; });
            var stream = await lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80);
            long returned = 0, failedLength = 0;
            var writer = Task.Run(async () =>
            {
                for (int offset = 0; offset < data.Length; offset += WriteSize)
                {
                    try
                    {
                        await stream.WriteAsync(data.AsMemory(offset, WriteSize));
                    }
                    catch (IOException)
                    {
                        failedLength = WriteSize;
                        return;
                    }
                    returned += WriteSize;
                }
            });
            await Task.Delay(Random.Shared.Next(1, 20));
            stream.ShutdownWrite();
            await writer.WaitAsync(InProcessStackLab.Bound);
            Assert.True(await lab.Eventually(() => finReceived), $"round {round}: no FIN");
            long got = await lab.OnPollThread(() => received);
            Assert.True(await lab.OnPollThread(() => prefix), $"round {round}: the peer got other bytes than the stream's");
            Assert.True(got >= returned && got <= returned + failedLength,
                $"round {round}: the peer got {got} bytes before the FIN; writes that returned: {returned} bytes, the failed one {failedLength}");
            await stream.DisposeAsync();
        }
    }

    private static byte Pattern(long position) => (byte)(position % 251);
}
