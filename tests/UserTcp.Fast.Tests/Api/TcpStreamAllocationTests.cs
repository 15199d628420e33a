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
/// the stream's reusable IValueTaskSource, and the copy happens on the reading thread when it takes the result).
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

        long allocated = -1, immediate = 0, waited = 0;
        string? failure = null;
        var reader = new Thread(() =>
        {
            // Small: most reads of a burst find bytes waiting; the first after it waits for the next burst.
            var buffer = new byte[4096];
            using var woke = new ManualResetEventSlim();
            Action wake = woke.Set;
            long atWarmUp = 0;
            while (received < Total)
            {
                bool steady = received >= WarmUp;
                if (steady && atWarmUp == 0) atWarmUp = GC.GetAllocatedBytesForCurrentThread();
                var read = stream.ReadAsync(buffer);
                if (read.IsCompleted)
                {
                    if (steady) immediate++;
                }
                else
                {
                    woke.Reset();
                    read.GetAwaiter().UnsafeOnCompleted(wake);
                    if (!woke.Wait(TimeSpan.FromSeconds(30)))
                    {
                        failure = $"a read at {received} waited 30 s";
                        return;
                    }
                    if (steady) waited++;
                }
                int n = read.GetAwaiter().GetResult(); // a waiting read copies here, on this thread
                if (n == 0)
                {
                    failure = $"the stream ended at {received}";
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
        output.WriteLine($"{immediate} reads completed at once, {waited} waited; {allocated} bytes allocated on the reading thread");
        Assert.True(immediate > 1000 && waited > 100, $"the steady state did not exercise both kinds of read: {immediate} at once, {waited} waited");
        Assert.Equal(0, allocated);
    }
}
