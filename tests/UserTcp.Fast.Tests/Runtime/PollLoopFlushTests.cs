using UserTcp.Fast.Devices;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Runtime;

/// <summary>
/// Where the poll loop flushes the device: a device that batches its sends writes nothing before its flush, so the
/// batch's ACKs must reach the device's flush before the application's work runs, and everything by the end of the turn.
/// </summary>
public sealed class PollLoopFlushTests
{
    /// <summary>Receives one junk frame per call while <see cref="FramesLeft"/> lasts and records flushes into a shared log.</summary>
    private sealed class RecordingDevice(List<string> log) : INetworkDevice
    {
        public int FramesLeft;
        public string Name => "recording";
        public MacAddress MacAddress { get; } = MacAddress.Parse("02:00:00:00:00:0a");
        public int Mtu => 1500;
        public bool IsHostLocal => true;
        public DeviceStats Stats => default;
        public int ReadinessDescriptor => -1;

        public int Receive<THandler>(ref THandler handler, int maxFrames) where THandler : struct, IFrameReceiver
        {
            if (FramesLeft == 0) return 0;
            FramesLeft--;
            handler.OnFrame(new byte[60], Instant.FromMilliseconds(1));
            return 1;
        }

        public bool Send(ReadOnlySpan<byte> frame) => true;
        public void Flush() => log.Add("device flush");
        public bool WaitForFrames(TimeSpan timeout) => false;
        public void Dispose() { }
    }

    [Fact]
    public void After_a_batch_the_device_is_flushed_before_the_application_runs_and_again_at_the_end()
    {
        var log = new List<string>();
        var device = new RecordingDevice(log) { FramesLeft = 1 };
        var tcp = new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 7);
        var nic = new NetworkInterface(new InterfaceConfig { MacAddress = device.MacAddress, Address = new Ipv4Address(198, 18, 0, 2), PrefixLength = 24 },
                                       tcp, new DeviceOutput(device));
        var loop = new PollLoop(device, nic) { OnTurn = _ => log.Add("application") };

        Assert.Equal(1, loop.Turn(Instant.FromMilliseconds(2)));
        Assert.Equal(["device flush", "application", "device flush"], log);

        log.Clear();
        Assert.Equal(0, loop.Turn(Instant.FromMilliseconds(3)));
        Assert.Equal(["application", "device flush"], log); // nothing received: nothing to flush before the application
    }
}
