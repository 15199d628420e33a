using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Tests.Runtime;

/// <summary>What the poll loop does between turns: when it turns again, and what ends its sleep.</summary>
public sealed class IdlePolicyTests
{
    private static readonly TimeSpan Cap = TimeSpan.FromMicroseconds(100);

    /// <summary>An adaptive policy that has learned 10 µs gaps; its last frame arrived at 1 s.</summary>
    private static IdlePolicy LearnedAdaptive(DatagramSocketDevice device)
    {
        var idle = new IdlePolicy(device, PollMode.Adaptive, Cap);
        var at = Instant.FromMilliseconds(999.6);
        for (int i = 0; i < 40; i++) idle.OnBatch(at += TimeSpan.FromMicroseconds(10), at);
        return idle;
    }

    [Fact]
    public void Sleep_mode_turns_again_only_after_a_full_batch()
    {
        using var peer = new BoundPeer();
        using var device = new DatagramSocketDevice(peer.Path);
        var idle = new IdlePolicy(device, PollMode.Sleep, Cap);
        var now = Instant.FromMilliseconds(1000);
        idle.OnBatch(now, now);
        Assert.True(idle.TurnAgain(64, 64, connectionsOpen: true, now));
        Assert.False(idle.TurnAgain(63, 64, connectionsOpen: true, now));
        Assert.False(idle.TurnAgain(0, 64, connectionsOpen: true, now));
    }

    /// <summary>A frame the device already shows waiting (a ring slot filled) means turn again, not poll(2) to hear it.</summary>
    [Theory]
    [InlineData(PollMode.Sleep)]
    [InlineData(PollMode.Adaptive)]
    public void A_frame_the_device_shows_waiting_turns_again_without_sleeping(PollMode mode)
    {
        using var peer = new BoundPeer();
        using var device = new DatagramSocketDevice(peer.Path);
        var idle = new IdlePolicy(device, mode, Cap);
        var now = Instant.FromMilliseconds(1000);
        Assert.False(idle.TurnAgain(3, 64, connectionsOpen: false, now));
        device.FrameWaiting = true;
        Assert.True(idle.TurnAgain(3, 64, connectionsOpen: false, now));
        Assert.True(idle.TurnAgain(0, 64, connectionsOpen: false, now));
        device.FrameWaiting = false;
        Assert.False(idle.TurnAgain(3, 64, connectionsOpen: false, now));
        Assert.Equal(2, idle.WaitingFrameTurns);
        Assert.Equal(0, idle.SpinTurns);
    }

    [Fact]
    public void Busy_mode_always_turns_again()
    {
        using var peer = new BoundPeer();
        using var device = new DatagramSocketDevice(peer.Path);
        var idle = new IdlePolicy(device, PollMode.Busy, Cap);
        Assert.True(idle.TurnAgain(0, 64, connectionsOpen: false, Instant.FromMilliseconds(1000)));
    }

    [Fact]
    public void Adaptive_mode_spins_within_the_learned_budget_while_a_connection_is_open()
    {
        using var peer = new BoundPeer();
        using var device = new DatagramSocketDevice(peer.Path);
        var idle = LearnedAdaptive(device);
        var last = idle.Spin.LastArrival;
        Assert.Equal(TimeSpan.FromMicroseconds(20), idle.Spin.Budget);
        Assert.True(idle.TurnAgain(0, 64, connectionsOpen: true, last + TimeSpan.FromMicroseconds(19)));
        Assert.False(idle.TurnAgain(0, 64, connectionsOpen: true, last + TimeSpan.FromMicroseconds(20)));
        Assert.Equal(1, idle.SpinTurns);
    }

    [Fact]
    public void Adaptive_mode_never_spins_without_a_connection()
    {
        using var peer = new BoundPeer();
        using var device = new DatagramSocketDevice(peer.Path);
        var idle = LearnedAdaptive(device);
        Assert.False(idle.TurnAgain(0, 64, connectionsOpen: false, idle.Spin.LastArrival));
        Assert.Equal(0, idle.SpinTurns);
    }

    /// <summary>
    /// A frame the kernel refused (EAGAIN) waits in the transmitter; the sleeping poll thread must wake when the descriptor
    /// turns writable, not at its next timer. The thread's longest sleep is an hour here, so only POLLOUT can end it in
    /// time (seen failing, the 10 s receive timeout, with the device polled for POLLIN only).
    /// </summary>
    [Fact]
    public async Task A_deferred_frame_leaves_when_the_device_turns_writable()
    {
        using var peer = new BoundPeer();
        using var device = new DatagramSocketDevice(peer.Path);
        var mac = device.MacAddress;
        var tcp = new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 7);
        var nic = new NetworkInterface(new InterfaceConfig { MacAddress = mac, Address = new Ipv4Address(198, 18, 0, 2), PrefixLength = 24 },
                                       tcp, new DeviceOutput(device));
        using var thread = new PollThread(new PollLoop(device, nic), longestSleep: TimeSpan.FromHours(1));
        thread.Start();

        var frame = new byte[1000];
        var (sent, waiting) = await thread.InvokeAsync((loop, _) =>
        {
            int count = 0;
            for (; device.SendsWaiting == 0 && count < 1_000_000; count++)
            {
                BitConverter.TryWriteBytes(frame, count);
                loop.Device.Send(frame);
            }
            return (count, device.SendsWaiting);
        });
        Assert.Equal(1, waiting);

        // Read everything, up to and including the last frame sent, which the kernel refused at first.
        peer.Socket.ReceiveTimeout = 10_000;
        var buffer = new byte[2048];
        int last = -1;
        while (last != sent - 1)
        {
            int n = peer.Socket.Receive(buffer);
            if (n == frame.Length) last = BitConverter.ToInt32(buffer);
        }
        Assert.Equal(0, await thread.InvokeAsync((_, _) => device.SendsWaiting));
    }
}
