using UserTcp.Fast.Api;
using UserTcp.Testbed.Labs;
using UserTcp.Live.Tests.Devices;
using UserTcp.Testbed.Namespaces;

namespace UserTcp.Live.Tests.Api;

/// <summary>
/// A Linux sender whose MSS is clamped (TCP_MAXSEG 1000 and 536, as on a VPN or PPPoE path) writes bursts after idle
/// periods shorter and longer than the RTO: the stack acknowledges every burst, its short pushed tail included, without
/// ever waiting for its delayed-ACK timer (Linux's tcp_measure_rcv_mss and __tcp_ack_snd_check; RFC 1122 §4.2.3.2).
/// Offloads are off on both ends, so every segment is its own frame. It runs alone: beside the listener's 32-client echo
/// test the poll thread was late enough for the timer now and then. The reader is a thread of its own in blocking reads,
/// as <c>usertcp get</c> reads. With awaited reads (CopyToAsync), which resume on the test host's thread pool beside the
/// tests of other collections, one CI run saw two tails acknowledged 43 and 36 ms late, the second without the timer, so
/// by a read that came that late: a late reader waits for the timer on Linux too. Needs root.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class ClampedSenderAckTests
{
    private const int Port = 7100;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(1000)]
    [InlineData(536)]
    public async Task Every_burst_of_clamped_segments_is_acknowledged_without_the_delayed_ack_timer(int maxSegment)
    {
        int segment = maxSegment - 12; // the timestamp option's share
        // More full segments than the quick-ack allowance after idle (16), an even count, then 2 ms later a short pushed
        // tail that lands alone in its receive turn: only the reader's drain (tcp_cleanup_rbuf) may ACK it before 40 ms.
        int burst = 24 * segment, tail = segment / 3;
        const string idles = "60,300,20,250,120,400";
        using var lab = VethLink.Create();
        foreach (var (netns, iface) in new[] { ((string?)null, lab.StackInterface), (lab.Kernel.Name, lab.KernelInterface) })
        {
            string[] ethtool = ["ethtool", "-K", iface, "tso", "off", "gso", "off", "gro", "off", "tx", "off", "rx", "off"];
            if (netns is null) Tool.Run(ethtool);
            else Tool.RunIn(netns, ethtool);
        }
        string script = Path.Combine(AppContext.BaseDirectory, "Live", "burst-peer.py");
        using var peer = lab.Kernel.Start("python3", script, $"{lab.KernelAddress}", $"{Port}", $"{maxSegment}", $"{burst}", $"{tail}", idles);
        peer.WaitForLine(line => line == "listening", Bound);
        using var stack = NetworkStack.Start(new NetworkStackOptions
        {
            Device = lab.OpenDevice(),
            Address = lab.StackAddress,
            PrefixLength = 24,
        });

        await using var stream = await stack.ConnectAsync(lab.KernelAddress, Port).WaitAsync(Bound);
        await stream.WriteAsync(new byte[] { 1 }).AsTask().WaitAsync(Bound);
        var received = new MemoryStream();
        Exception? readFailure = null;
        var reader = new Thread(() =>
        {
            try
            {
                stream.CopyTo(received); // Stream.CopyTo: blocking reads (TcpStream.Read) on this thread
            }
            catch (Exception e)
            {
                readFailure = e;
            }
        }) { IsBackground = true, Name = "clamped-sender reader" };
        reader.Start();
        Assert.True(reader.Join(Bound), "the reader did not see the end of the stream in time");
        Assert.Null(readFailure);
        var result = peer.WaitForExit(Bound);

        Assert.True(result.ExitCode == 0, $"the sender failed:\n{peer.Text}");
        int bursts = idles.Split(',').Length;
        byte[] data = received.ToArray();
        int each = burst + tail;
        Assert.Equal(bursts * each, data.Length);
        for (int i = 0; i < data.Length; i++)
            if (data[i] != (byte)(i % each % 251)) Assert.Fail($"byte {i} is {data[i]}, sent {(byte)(i % each % 251)}");
        var stats = stream.Stats;
        Assert.True(stats.DelayedAckTimeouts == 0,
            $"{stats.DelayedAckTimeouts} ACKs waited for the delayed-ACK timer; the sender saw:\n{peer.Text}");
        Assert.True(stats.DataSegmentsReceived >= bursts * 25, $"{stats.DataSegmentsReceived} data segments: were they clamped?");
    }
}
