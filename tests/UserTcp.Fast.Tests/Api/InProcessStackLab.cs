using UserTcp.Fast.Api;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Tests.Dns;
using UserTcp.Fast.Wire;
using static UserTcp.Fast.Tests.Dns.DnsTestNetwork;

namespace UserTcp.Fast.Tests.Api;

/// <summary>
/// The public API on the stack's own poll thread over an in-process device whose far side is one host, <see cref="Web"/>
/// (<see cref="Peer"/>, listening on port 80), run on the same thread: no kernel, no second thread touching stack state.
/// </summary>
internal sealed class InProcessStackLab : IDisposable
{
    public static readonly Ipv4Address Peer = new(198, 18, 0, 11);
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(15); // generous: other tests share the two cores

    public readonly InProcessPeerDevice Device = new();
    public readonly NetworkInterface Web;
    public readonly NetworkStack Stack;

    /// <param name="web">The listening host's TCP settings.</param>
    /// <param name="client">The stack's TCP settings.</param>
    public InProcessStackLab(TcpConfig? web = null, TcpConfig? client = null)
    {
        Web = new NetworkInterface(
            new InterfaceConfig { MacAddress = MacAddress.Parse("02:00:00:00:01:0b"), Address = Peer, PrefixLength = 24 },
            new TcpStack(web ?? new TcpConfig(), InitialSequenceNumbers.CreateRandom(), Peer.Value), Device);
        Web.AddStaticNeighbor(ClientAddress, ClientMac);
        Web.Tcp.Listen(80);
        Device.Add(Web);
        Stack = NetworkStack.Start(new NetworkStackOptions
        {
            Device = Device, Address = ClientAddress, PrefixLength = 24, DnsServers = [], Seed = 7, Tcp = client ?? new TcpConfig(),
        });
    }

    public Task<T> OnPollThread<T>(Func<T> read) => Stack.InvokeAsync(_ => read());

    /// <summary>Whether <paramref name="done"/> (read on the poll thread) holds within <see cref="Bound"/>.</summary>
    public async Task<bool> Eventually(Func<bool> done)
    {
        var end = DateTime.UtcNow + Bound;
        while (!await OnPollThread(done))
        {
            if (DateTime.UtcNow > end) return false;
            await Task.Delay(10);
        }
        return true;
    }

    public void Dispose() => Stack.Dispose();
}
