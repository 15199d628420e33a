using System.Diagnostics;
using System.Net.Sockets;
using UserTcp.Fast.Api;
using UserTcp.Fast.Tcp;
using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Api;

/// <summary>
/// The public Stream API against the Linux kernel as the peer (a python server with kernel sockets across a veth):
/// async reads and writes with back-pressure through small bounded buffers, half-close, graceful close on dispose,
/// abort, the peer's reset, refused and unreachable destinations as SocketExceptions, and cancellation. Needs root.
/// </summary>
public sealed class TcpStreamTests : IDisposable
{
    private const int Port = 7000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly VethLink _lab = VethLink.Create();
    private readonly NetworkStack _stack;

    public TcpStreamTests()
    {
        _stack = NetworkStack.Start(new NetworkStackOptions
        {
            Device = _lab.OpenDevice(),
            Address = _lab.StackAddress,
            PrefixLength = 24,
            // Small, so that a fast writer must wait for the reader: back-pressure.
            Tcp = new TcpConfig { SendBufferSize = 64 << 10, ReceiveBufferSize = 64 << 10, InitialReceiveBufferSize = 64 << 10 },
            DnsServers = [_lab.OtherAddress],
        });
    }

    public void Dispose()
    {
        _stack.Dispose();
        _lab.Dispose();
    }

    /// <summary>stream-peer.py in the kernel's namespace, listening once the constructor returns.</summary>
    private sealed class KernelPeer : IDisposable
    {
        private readonly BackgroundProcess _process;

        public KernelPeer(VethLink lab, string mode)
        {
            string script = Path.Combine(AppContext.BaseDirectory, "Live", "stream-peer.py");
            _process = lab.Kernel.Start("python3", script, $"{lab.KernelAddress}", $"{Port}", mode);
            _process.WaitForLine(line => line == "listening", Bound);
        }

        /// <summary>The peer's last line: how the connection ended for it.</summary>
        public string Outcome()
        {
            var result = _process.WaitForExit(Bound);
            Assert.True(result.ExitCode == 0, $"the kernel peer failed:\n{_process.Text}");
            return result.Output.Trim().Split('\n')[^1];
        }

        public void Dispose() => _process.Dispose();
    }

    private Task<TcpStream> Connect(CancellationToken cancel = default) => _stack.ConnectAsync(_lab.KernelAddress, Port, cancel);

    private static async Task<byte[]> ReadToEnd(Stream stream)
    {
        var all = new MemoryStream();
        await stream.CopyToAsync(all).WaitAsync(Bound);
        return all.ToArray();
    }

    [Fact] // 8 MiB through 64 KiB buffers both ways: the writer waits for the reader, and every byte comes back in order
    public async Task Echo_is_byte_exact_with_back_pressure()
    {
        using var peer = new KernelPeer(_lab, "echo");
        await using var stream = await Connect();
        var data = new byte[8 << 20];
        new Random(7).NextBytes(data);
        var reading = ReadToEnd(stream);
        for (int offset = 0; offset < data.Length; offset += 100_000)
            await stream.WriteAsync(data.AsMemory(offset, Math.Min(100_000, data.Length - offset))).AsTask().WaitAsync(Bound);
        stream.ShutdownWrite();
        Assert.Equal(data, await reading); // the peer closes after our FIN: end of stream
        Assert.Equal($"eof after {data.Length} bytes", peer.Outcome());
    }

    [Fact] // RFC 9293 §3.6: after our FIN we still receive until the peer closes
    public async Task Half_close_still_receives_the_reply()
    {
        using var peer = new KernelPeer(_lab, "count");
        await using var stream = await Connect();
        await stream.WriteAsync(new byte[1 << 20]);
        stream.ShutdownWrite();
        Assert.Equal("got 1048576", System.Text.Encoding.ASCII.GetString(await ReadToEnd(stream)));
        await Assert.ThrowsAsync<IOException>(() => stream.WriteAsync(new byte[1]).AsTask());
        Assert.Equal("eof after 1048576 bytes", peer.Outcome());
    }

    [Fact] // dispose sends FIN after everything written, not a RST
    public async Task Dispose_closes_gracefully_after_the_written_data()
    {
        using var peer = new KernelPeer(_lab, "expect-reset");
        var stream = await Connect();
        await stream.WriteAsync(new byte[300_000]);
        await stream.DisposeAsync();
        Assert.Equal("eof after 300000 bytes", peer.Outcome());
    }

    [Fact] // RFC 1122 §4.2.2.13: disposing with received data unread is a RST, as Linux's close(2) (tcp_close), not a FIN
    public async Task Dispose_with_unread_data_resets_the_connection()
    {
        using var peer = new KernelPeer(_lab, "echo");
        var stream = await Connect();
        await stream.WriteAsync(new byte[1000]);
        var deadline = Stopwatch.StartNew();
        while (stream.Stats.BytesReceived < 1000 && deadline.Elapsed < Bound) await Task.Delay(10); // the echo, unread
        Assert.Equal(1000, stream.Stats.BytesReceived);
        await stream.DisposeAsync();
        Assert.Equal("reset after 1000 bytes", peer.Outcome());
    }

    [Fact] // Abort is a RST (RFC 9293 §3.10.7, ABORT call): the peer sees a reset, not an end of stream
    public async Task Abort_resets_the_connection()
    {
        using var peer = new KernelPeer(_lab, "expect-reset");
        await using var stream = await Connect();
        await stream.WriteAsync(new byte[1000]);
        await Task.Delay(200); // let the data arrive first, so the peer's reset is reported after it
        stream.Abort();
        Assert.StartsWith("reset after", peer.Outcome());
    }

    [Fact] // the peer aborts: data before the RST is delivered, then the read fails with ConnectionReset
    public async Task Peer_reset_fails_the_read_with_connection_reset()
    {
        using var peer = new KernelPeer(_lab, "reset");
        await using var stream = await Connect();
        var buffer = new byte[16];
        int n = await stream.ReadAsync(buffer).AsTask().WaitAsync(Bound);
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        var failure = await Assert.ThrowsAsync<SocketException>(() => stream.ReadAsync(buffer).AsTask().WaitAsync(Bound));
        Assert.Equal(SocketError.ConnectionReset, failure.SocketErrorCode);
        Assert.Equal("reset sent", peer.Outcome());
    }

    [Fact] // the kernel answers a SYN to a closed port with a RST
    public async Task Closed_port_is_refused()
    {
        var failure = await Assert.ThrowsAsync<SocketException>(() => Connect().WaitAsync(Bound));
        Assert.Equal(SocketError.ConnectionRefused, failure.SocketErrorCode);
    }

    [Fact] // nobody answers ARP for the address
    public async Task Address_nobody_holds_is_unreachable()
    {
        var watch = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<SocketException>(() => _stack.ConnectAsync(_lab.OtherAddress, Port).WaitAsync(Bound));
        Assert.Equal(SocketError.HostUnreachable, failure.SocketErrorCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact] // a cancelled connect returns at once
    public async Task Connect_can_be_cancelled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _stack.ConnectAsync(_lab.OtherAddress, Port, cancel.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact] // a cancelled read returns at once and leaves the stream usable
    public async Task Read_can_be_cancelled_and_the_stream_goes_on()
    {
        using var peer = new KernelPeer(_lab, "echo");
        await using var stream = await Connect();
        var buffer = new byte[4];
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.ReadAsync(buffer, cancel.Token).AsTask().WaitAsync(Bound));
        await stream.WriteAsync("ping"u8.ToArray());
        Assert.Equal(4, await stream.ReadAtLeastAsync(buffer, 4).AsTask().WaitAsync(Bound));
        Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(buffer));
        stream.ShutdownWrite();
        Assert.Equal("eof after 4 bytes", peer.Outcome());
    }

    [Fact] // ReadTimeout as NetworkStream's: an IOException around SocketException(TimedOut), and the stream goes on
    public async Task Read_timeout_fails_the_read_only()
    {
        using var peer = new KernelPeer(_lab, "echo");
        await using var stream = await Connect();
        stream.ReadTimeout = 300;
        var buffer = new byte[4];
        var watch = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<IOException>(() => stream.ReadAsync(buffer).AsTask().WaitAsync(Bound));
        Assert.Equal(SocketError.TimedOut, Assert.IsType<SocketException>(failure.InnerException).SocketErrorCode);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.ReadTimeout = 0);
        stream.Write("pong"u8);
        Assert.Equal(4, stream.ReadAtLeast(buffer, 4)); // the synchronous path, within the timeout
        stream.ShutdownWrite();
        Assert.Equal("eof after 4 bytes", peer.Outcome());
    }

    [Fact] // disposing the stack ends every wait on it: a read, a connect and a lookup in flight fail, none hangs
    public async Task Disposing_the_stack_fails_what_waits_on_it()
    {
        using var peer = new KernelPeer(_lab, "expect-reset");
        var stream = await Connect();
        var read = stream.ReadAsync(new byte[16]).AsTask();
        var connect = _stack.ConnectAsync(_lab.OtherAddress, Port);                 // ARP unanswered for 3 s
        var lookup = _stack.ResolveAsync("server.usertcp.test");                            // its DNS server does not exist
        await Task.Delay(200);
        _stack.Dispose();
        foreach (var pending in new Task[] { read, connect, lookup })
        {
            var failure = await Assert.ThrowsAsync<SocketException>(() => pending.WaitAsync(Bound));
            Assert.Equal(SocketError.OperationAborted, failure.SocketErrorCode);
        }
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _stack.ConnectAsync(_lab.KernelAddress, Port));
    }
}
