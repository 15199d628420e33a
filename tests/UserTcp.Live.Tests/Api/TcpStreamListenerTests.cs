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
