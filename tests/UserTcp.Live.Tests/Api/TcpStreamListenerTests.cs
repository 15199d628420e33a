using UserTcp.Fast.Api;
using UserTcp.Testbed.Namespaces;

namespace UserTcp.Live.Tests.Api;

/// <summary>
/// The public listener against the Linux kernel as the client (python sockets across a veth): concurrent kernel
/// connections accepted and echoed byte-exact through <see cref="TcpStreamListener.AcceptAsync"/> and <see cref="TcpStream"/>,
/// each closing gracefully. Needs root.
/// </summary>
public sealed class TcpStreamListenerTests : IDisposable
{
    private const int Port = 7001, Clients = 32;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly VethLink _lab = VethLink.Create();
    private readonly NetworkStack _stack;

    public TcpStreamListenerTests()
    {
        _stack = NetworkStack.Start(new NetworkStackOptions { Device = _lab.OpenDevice(), Address = _lab.StackAddress, PrefixLength = 24, DnsServers = [] });
    }

    public void Dispose()
    {
        _stack.Dispose();
        _lab.Dispose();
    }

    [Fact] // 32 kernel clients at once, 1 MiB each way per connection, every echo byte-exact, no reset sent
    public async Task Kernel_clients_are_accepted_and_echoed_byte_exact()
    {
        using var listener = _stack.Listen(Port, backlog: Clients);
        var echoes = new List<Task>();
        using var stop = new CancellationTokenSource(Bound);
        var accepting = Task.Run(async () =>
        {
            for (int i = 0; i < Clients; i++) echoes.Add(EchoAsync(await listener.AcceptAsync(stop.Token)));
        });
        string script = Path.Combine(AppContext.BaseDirectory, "Live", "echo-clients.py");
        using var clients = _lab.Kernel.Start("python3", script, $"{_lab.StackAddress}", $"{Port}", $"{Clients}", $"{1 << 20}");
        var result = clients.WaitForExit(Bound);
        Assert.True(result.ExitCode == 0, clients.Text);
        Assert.Equal($"ok {Clients}", result.Output.Trim());
        await accepting.WaitAsync(Bound);
        await Task.WhenAll(echoes).WaitAsync(Bound);
        Assert.Equal(0, await _stack.InvokeAsync(loop => loop.Interface.Tcp.Stats.ResetsSent));
    }

    /// <summary>
    /// Ping-pong with a kernel client: every echo is an application write on a pool thread, whose request must wake the
    /// poll thread (it sleeps between the client's messages, with nothing else due), right after the same stream's read
    /// queued a pass without waking it. A lost wake stalls a round until a timer fires; 2,000 rounds then take minutes.
    /// </summary>
    [Fact]
    public async Task Every_echo_of_a_ping_pong_wakes_the_poll_thread()
    {
        const int rounds = 2000;
        using var listener = _stack.Listen(Port + 1, backlog: 1);
        using var stop = new CancellationTokenSource(Bound);
        var serving = Task.Run(async () => await EchoAsync(await listener.AcceptAsync(stop.Token)));
        string script = Path.Combine(AppContext.BaseDirectory, "Live", "ping-pong-client.py");
        using var client = _lab.Kernel.Start("python3", script, $"{_lab.StackAddress}", $"{Port + 1}", $"{rounds}", "64");
        var result = client.WaitForExit(Bound);
        Assert.True(result.ExitCode == 0, client.Text);
        var fields = result.Output.Trim().Split(' ');
        Assert.Equal(["ok", $"{rounds}"], fields[..2]);
        // Unloaded, the rounds take well under a millisecond each; a lost wake costs a timer's wait (tens of ms to seconds).
        Assert.True(double.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture) < 20, $"{rounds} rounds took {fields[2]} s (slowest {fields[3]} ms)");
        await serving.WaitAsync(Bound);
    }

    private static async Task EchoAsync(TcpStream stream)
    {
        await using (stream)
        {
            var buffer = new byte[32 << 10];
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0) await stream.WriteAsync(buffer.AsMemory(0, n));
        }
    }
}
