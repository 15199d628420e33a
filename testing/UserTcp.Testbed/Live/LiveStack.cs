using UserTcp.Fast.Api;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Capture;
using UserTcp.Fast.Dhcp;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;

namespace UserTcp.Testbed.Live;

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

    /// <param name="replayable">Null for a real stack (RFC 6528 ISNs, random ports and timestamp offsets). A fixed
    /// identity makes the first connection's ISN, ephemeral port and timestamp offset the same in every process, so that
    /// a capture of the peer's side of one connection can be replayed into the same connection of a later stack (the live
    /// benchmark does); never for real traffic.</param>
    public static LiveStack Open(StackSetup setup, TcpConfig? tcp = null, ReplayableIdentity? replayable = null)
    {
        INetworkDevice device = DeviceFactory.Open(setup);
        try
        {
            if (setup.Pcap is { } pcap) device = new CapturingDevice(device, pcap.FullName, DateTimeOffset.UtcNow);
            var stack = new LiveStack(setup, device, NetworkStack.CreateLoop(setup.ToOptions(device) with
            {
                Tcp = (tcp ?? new TcpConfig()) with { AckPolicy = setup.AckPolicy },
                SequenceNumbers = replayable is { } identity ? new FixedInitialSequenceNumbers(identity.InitialSequenceNumber) : null,
                Seed = replayable?.Seed,
            }));
            if (stack.Loop.Dhcp is { } dhcp)
            {
                // Bounded by the client itself: it gives up after RFC 2131's retransmissions (about two minutes).
                stack.RunUntil(() => dhcp.State is DhcpState.Bound or DhcpState.Failed, TimeSpan.FromMinutes(5));
                if (dhcp.Lease is not { } lease)
                    throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.TimedOut, $"no DHCP lease: {dhcp.Failure ?? "no answer"}");
                Console.Error.WriteLine($"usertcp: DHCP lease {lease}");
            }
            return stack;
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    public bool RunUntil(Func<bool> done, TimeSpan timeout) => Loop.RunUntil(done, timeout);

    /// <summary>The stack's address: the setup's, or the DHCP lease's.</summary>
    public Fast.Wire.Ipv4Address Address => Interface.Config.Address;

    public void Dispose()
    {
        if (Loop.Dhcp is { } dhcp)
        {
            dhcp.Release(Fast.Time.MonotonicClock.Now); // RFC 2131 §4.4.6
            Device.Flush();
        }
        if (Setup.Stats) Console.Error.Write(Metrics.Format());
        Metrics.Dispose();
        Device.Dispose();
    }
}
