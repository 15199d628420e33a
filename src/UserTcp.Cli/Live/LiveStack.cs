using UserTcp.Fast.Devices;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;

namespace UserTcp.Cli.Live;

/// <summary>
/// The stack on a live device, driven by the calling thread: device (pcap, optionally teed into a capture file),
/// interface, TCP and the poll loop, with the gratuitous ARP sent. Disposing closes the device and the capture.
/// </summary>
internal sealed class LiveStack : IDisposable
{
    private LiveStack(StackSetup setup, INetworkDevice device, PollLoop loop)
    {
        Setup = setup;
        Device = device;
        Loop = loop;
        Metrics = new StackMetrics(loop);
    }

    public StackSetup Setup { get; }
    public INetworkDevice Device { get; }
    public PollLoop Loop { get; }
    public StackMetrics Metrics { get; }
    public NetworkInterface Interface => Loop.Interface;
    public TcpStack Tcp => Loop.Interface.Tcp;

    public static LiveStack Open(StackSetup setup, TcpConfig? tcp = null)
    {
        INetworkDevice device = DeviceFactory.Open(setup);
        try
        {
            if (setup.Pcap is { } pcap) device = new CapturingDevice(device, pcap.FullName, DateTimeOffset.UtcNow);
            var tcpConfig = (tcp ?? new TcpConfig()) with { AckPolicy = setup.AckPolicy, MaxSegmentSize = Math.Min((tcp ?? new TcpConfig()).MaxSegmentSize, device.Mtu - 40) };
            var stack = new TcpStack(tcpConfig, InitialSequenceNumbers.CreateRandom(), (ulong)Random.Shared.NextInt64());
            var nic = new NetworkInterface(new InterfaceConfig
            {
                MacAddress = device.MacAddress,
                Address = setup.Address,
                PrefixLength = setup.PrefixLength,
                Gateway = setup.Gateway,
                Mtu = device.Mtu,
                Checksums = setup.Checksums,
                LinkIsHostLocal = device.IsHostLocal,
            }, stack, new DeviceOutput(device));
            var live = new LiveStack(setup, device, new PollLoop(device, nic));
            nic.Start(MonotonicClock.Now);
            return live;
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    public bool RunUntil(Func<bool> done, TimeSpan timeout) => Loop.RunUntil(done, timeout, Setup.BusyPoll);

    public void Dispose()
    {
        if (Setup.Stats) Console.Error.Write(Metrics.Format());
        Metrics.Dispose();
        Device.Dispose();
    }
}
