using UserTcp.Fast.Api;
using UserTcp.Fast.Tests.Runtime;

namespace UserTcp.Fast.Tests.Api;

/// <summary>
/// The poll thread visits a stream's pump only when its connection changed or its application did something: idle
/// connections cost a turn nothing, however many there are, and one active connection costs about a pass per event.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class PumpSchedulerTests
{
    [Fact]
    public async Task Idle_connections_cost_the_turns_no_pump_passes()
    {
        const int connections = 100; // within the peer listener's backlog (128): it never accepts
        using var lab = new InProcessStackLab();
        var streams = new List<TcpStream>();
        for (int i = 0; i < connections; i++) streams.Add(await lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80));
        Assert.True(await lab.Eventually(() => lab.Web.Tcp.ConnectionCount == connections));
        await Task.Delay(100); // the handshakes' last ACKs and window updates settle

        long turnsBefore = await lab.OnPollThread(() => lab.Stack.Loop.Turns);
        long passesBefore = await lab.OnPollThread(() => lab.Stack.PumpPasses);
        await Task.Delay(300); // about 300 turns: the in-process device wakes the loop every millisecond
        long turns = await lab.OnPollThread(() => lab.Stack.Loop.Turns) - turnsBefore;
        long idlePasses = await lab.OnPollThread(() => lab.Stack.PumpPasses) - passesBefore;
        Assert.True(turns > 50, $"only {turns} turns");
        Assert.True(idlePasses == 0, $"{idlePasses} pump passes over {turns} idle turns with {connections} connections");

        await streams[7].WriteAsync("ping"u8.ToArray());
        Assert.True(await lab.Eventually(() => lab.Web.Tcp.Connections.Any(c => c.BytesAvailable == 4)), "the write never arrived");
        long activePasses = await lab.OnPollThread(() => lab.Stack.PumpPasses) - passesBefore - idlePasses;
        Assert.InRange(activePasses, 1, 10); // the write's request and the ACK's arrival, not every pump
        foreach (var stream in streams) await stream.DisposeAsync();
    }

    [Fact] // requests from two application threads at once (one reading, one writing) racing the poll thread's clears
    public async Task Requests_from_a_reader_and_a_writer_thread_are_never_lost()
    {
        using var lab = new InProcessStackLab();
        var echo = new byte[64 << 10];
        lab.Device.OnPoll = () => // the peer echoes whatever it gets, on the poll thread
        {
            foreach (var connection in lab.Web.Tcp.Connections)
            {
                int room = Math.Min(echo.Length, connection.SendSpace), n;
                while (room > 0 && (n = connection.Receive(echo.AsSpan(0, room))) > 0)
                {
                    connection.Send(echo.AsSpan(0, n));
                    room = Math.Min(echo.Length, connection.SendSpace);
                }
            }
        };
        await using var stream = await lab.Stack.ConnectAsync(InProcessStackLab.Peer, 80);
        const int writes = 50_000;
        long total = 0;
        var writer = Task.Run(async () =>
        {
            var random = new Random(3);
            var data = new byte[97];
            for (int i = 0; i < writes; i++)
            {
                int length = random.Next(1, data.Length);
                await stream.WriteAsync(data.AsMemory(0, length));
                Interlocked.Add(ref total, length);
            }
        });
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            long read = 0;
            while (!writer.IsCompleted || read < Interlocked.Read(ref total)) read += await stream.ReadAsync(buffer);
            return read;
        });
        await writer.WaitAsync(InProcessStackLab.Bound);
        Assert.Equal(Interlocked.Read(ref total), await reader.WaitAsync(InProcessStackLab.Bound));
    }
}
