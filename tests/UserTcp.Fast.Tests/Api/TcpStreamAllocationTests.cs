using UserTcp.Fast.Api;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Tests.Dns;
using UserTcp.Fast.Tests.Runtime;
using UserTcp.Fast.Wire;
using Xunit.Abstractions;
using static UserTcp.Fast.Tests.Dns.DnsTestNetwork;

namespace UserTcp.Fast.Tests.Api;

/// <summary>
/// The application's read path allocates nothing: over a steady-state transfer through the stack's own poll thread, the
/// reading thread's allocated-bytes counter (GC.GetAllocatedBytesForCurrentThread, exact) does not move across tens of
/// thousands of TcpStream reads, those that complete at once and those that wait for the poll thread alike (the wait is
/// the stream's reusable IValueTaskSource, and the copy happens on the reading thread when it takes the result), and
/// across blocking reads, whose waits lend the reader's buffer to the poll thread.
/// The peer runs in-process on the poll thread. Alone: it holds the poll thread and a reader busy for seconds.
/// </summary>
[Collection(StressCollection.Name)]
public sealed class TcpStreamAllocationTests(ITestOutputHelper output)
{
    private const long Total = 128L << 20, WarmUp = 16L << 20, Burst = 256 << 10;
    private const int Period = 251; // the byte at stream position p is p mod 251: a wrong offset shows
    private static readonly Ipv4Address Web = new(198, 18, 0, 11);

    [Fact]
    public async Task Reads_that_complete_at_once_and_reads_that_wait_allocate_nothing_on_the_reading_thread()
    {
        long immediate = 0, waited = 0;
        using var woke = new ManualResetEventSlim();
        Action wake = woke.Set;
        var (allocated, stats) = await Transfer((stream, buffer, steady) =>
        {
            var read = stream.ReadAsync(buffer);
            if (read.IsCompleted)
            {
                if (steady) immediate++;
            }
            else
            {
                woke.Reset();
                read.GetAwaiter().UnsafeOnCompleted(wake);
                if (!woke.Wait(TimeSpan.FromSeconds(30))) return -1;
                if (steady) waited++;
            }
            return read.GetAwaiter().GetResult(); // a waiting read copies here, on this thread
        });
        output.WriteLine($"{immediate} reads completed at once, {waited} waited; {allocated} bytes allocated on the reading thread");
        Assert.True(immediate > 1000 && waited > 100, $"the steady state did not exercise both kinds of read: {immediate} at once, {waited} waited");
        Assert.Equal(0, allocated);
        Assert.Equal(0, stats.BytesReadDirectly); // an awaited read lends no buffer
    }

    /// <summary>
    /// Blocking reads (<see cref="TcpStream.Read(Span{byte})"/>): those that find bytes copy them out of the receive buffer,
    /// those that wait lend their buffer to the poll thread, which copies arriving bytes straight into it. Both kinds
    /// happen, every byte is where it belongs, and the reading thread allocates nothing.
    /// </summary>
    [Fact]
    public async Task Blocking_reads_take_bytes_straight_from_the_segments_and_allocate_nothing()
    {
        var (allocated, stats) = await Transfer((stream, buffer, _) => stream.Read(buffer));
        output.WriteLine($"{stats.BytesReadDirectly} of {Total} bytes read directly; {allocated} bytes allocated on the reading thread");
        Assert.InRange(stats.BytesReadDirectly, Burst, Total - Burst); // some straight into the reader's buffer, some not
        Assert.Equal(0, allocated);
    }

    /// <summary>
    /// <see cref="Total"/> bytes from the in-process peer, a burst of <see cref="Burst"/> each time the reader has caught up,
    /// read on a thread of the test's by <paramref name="readOnce"/> (stream, buffer, steady state yet: bytes read, 0 at
    /// the end, -1 when a read waited too long). Returns the bytes the reading thread allocated in the steady state and the
    /// connection's counters at the end.
    /// </summary>
    private static async Task<(long Allocated, TcpConnectionStats Stats)> Transfer(Func<TcpStream, byte[], bool, int> readOnce)
    {
        var device = new InProcessPeerDevice();
        var web = new NetworkInterface(
            new InterfaceConfig { MacAddress = MacAddress.Parse("02:00:00:00:01:0b"), Address = Web, PrefixLength = 24 },
            new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), Web.Value), device);
        web.AddStaticNeighbor(ClientAddress, ClientMac);
        var listener = web.Tcp.Listen(80);
        device.Add(web);
        var pattern = new byte[Period * 256];
        for (int i = 0; i < pattern.Length; i++) pattern[i] = (byte)(i % Period);
        TcpConnection? server = null;
        long sent = 0, burstEnd = 0, received = 0;
        device.OnPoll = () => // the peer's application, on the poll thread: a burst each time the reader has caught up
        {
            if (server is null && !listener.TryAccept(out server)) return;
            if (Volatile.Read(ref received) == burstEnd) burstEnd = Math.Min(Total, burstEnd + Burst);
            while (sent < burstEnd && server.SendSpace > 0)
            {
                int from = (int)(sent % Period);
                int n = server.Send(pattern.AsSpan(from, (int)Math.Min(pattern.Length - from, burstEnd - sent)));
                if (n == 0) break;
                sent += n;
            }
        };
        using var stack = NetworkStack.Start(new NetworkStackOptions
        {
            Device = device, Address = ClientAddress, PrefixLength = 24, DnsServers = [], Seed = 7,
        });
        await using var stream = await stack.ConnectAsync(Web, 80);

        long allocated = -1;
        string? failure = null;
        var reader = new Thread(() =>
        {
            // Small: most reads of a burst find bytes waiting; the first after it waits for the next burst.
            var buffer = new byte[4096];
            long atWarmUp = 0;
            while (received < Total)
            {
                bool steady = received >= WarmUp;
                if (steady && atWarmUp == 0) atWarmUp = GC.GetAllocatedBytesForCurrentThread();
                int n = readOnce(stream, buffer, steady);
                if (n <= 0)
                {
                    failure = n == 0 ? $"the stream ended at {received}" : $"a read at {received} waited 30 s";
                    return;
                }
                for (int i = 0; i < n; i++)
                {
                    if (buffer[i] != (byte)((received + i) % Period))
                    {
                        failure = $"byte {received + i} is {buffer[i]}";
                        return;
                    }
                }
                Volatile.Write(ref received, received + n);
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - atWarmUp;
        });
        reader.Start();
        Assert.True(await Task.Run(() => reader.Join(TimeSpan.FromMinutes(2))), "the reader did not finish");
        Assert.Null(failure);
        return (allocated, stream.Stats);
    }
}
