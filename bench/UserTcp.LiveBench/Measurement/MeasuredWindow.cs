using System.Diagnostics;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Testbed.Live;

namespace UserTcp.LiveBench.Measurement;

/// <summary>
/// The measured window of one stack process: CPU time (getrusage, process and loop thread), wall time and the
/// device, interface and TCP counters, read at <see cref="Start"/> and <see cref="Stop"/>. Reading them costs two
/// getrusage calls and no allocation on the measured path.
/// </summary>
internal sealed class MeasuredWindow
{
    private readonly LiveStack _live;
    private readonly DeviceCounters _deviceBefore;
    private readonly long _interfaceDropsBefore;
    private readonly TcpConnectionStats _tcpBefore;
    private readonly CpuTime _cpuBefore;
    private readonly Dictionary<string, double> _otherThreadsBefore;
    private readonly long _startedAt;

    private MeasuredWindow(LiveStack live)
    {
        _live = live;
        _deviceBefore = DeviceCounters.Of(live.Device.Stats);
        _interfaceDropsBefore = live.Interface.Stats.TotalDrops;
        _tcpBefore = live.Tcp.TotalConnectionStats();
        _otherThreadsBefore = OtherThreadsCpu.Now();
        _startedAt = Stopwatch.GetTimestamp();
        _cpuBefore = CpuTime.Now();
    }

    /// <summary>Starts measuring on the thread that runs the poll loop (the thread CPU figures are that thread's).</summary>
    public static MeasuredWindow Start(LiveStack live) => new(live);

    /// <summary>Ends the window; <paramref name="payloadBytes"/> is what the application moved in it.</summary>
    public RunResult Stop(long payloadBytes)
    {
        var cpu = CpuTime.Now() - _cpuBefore;
        double wall = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
        var otherThreads = OtherThreadsCpu.Since(_otherThreadsBefore);
        var device = DeviceCounters.Of(_live.Device.Stats) - _deviceBefore;
        long interfaceDrops = _live.Interface.Stats.TotalDrops - _interfaceDropsBefore;
        var tcp = _live.Tcp.TotalConnectionStats();
        return new RunResult
        {
            FramesReceived = device.FramesReceived,
            BytesReceived = device.BytesReceived,
            FramesSent = device.FramesSent,
            BytesSent = device.BytesSent,
            ReceiveCalls = device.ReceiveCalls,
            SendCalls = device.SendCalls,
            SendsDeferred = device.SendsDeferred,
            SendsDropped = device.SendsDropped,
            KernelDrops = FinalKernelDrops(),
            InterfaceDrops = interfaceDrops,
            WallSeconds = wall,
            ProcessUserSeconds = cpu.ProcessUser.TotalSeconds,
            ProcessSystemSeconds = cpu.ProcessSystem.TotalSeconds,
            LoopThreadUserSeconds = cpu.ThreadUser.TotalSeconds,
            LoopThreadSystemSeconds = cpu.ThreadSystem.TotalSeconds,
            OtherThreadsCpuSeconds = otherThreads,
            PayloadBytes = payloadBytes,
            PureAcksSent = tcp.PureAcksSent - _tcpBefore.PureAcksSent,
            OutOfOrderSegments = tcp.OutOfOrderSegments - _tcpBefore.OutOfOrderSegments,
            DuplicateSegments = tcp.DuplicateSegments - _tcpBefore.DuplicateSegments,
            UnacceptableSegments = tcp.UnacceptableSegments - _tcpBefore.UnacceptableSegments,
            Retransmissions = tcp.Retransmissions - _tcpBefore.Retransmissions,
            DelayedAckTimeouts = tcp.DelayedAckTimeouts - _tcpBefore.DelayedAckTimeouts,
            ChallengeAcksSent = tcp.ChallengeAcksSent - _tcpBefore.ChallengeAcksSent,
        };
    }

    /// <summary>
    /// ps_drop as of now: the device refreshes it at most every 100 ms, from a receive call, so one more turn after
    /// that interval brings it up to date. Runs after the CPU reading, outside the window.
    /// </summary>
    private long FinalKernelDrops()
    {
        Thread.Sleep(TimeSpan.FromMilliseconds(120));
        _live.Loop.Turn(MonotonicClock.Now);
        return _live.Device.Stats.KernelDrops;
    }

    private readonly record struct DeviceCounters(
        long FramesReceived, long BytesReceived, long FramesSent, long BytesSent, long ReceiveCalls, long SendCalls, long SendsDeferred, long SendsDropped)
    {
        public static DeviceCounters Of(DeviceStats stats) => new(stats.FramesReceived, stats.BytesReceived, stats.FramesSent, stats.BytesSent,
            stats.ReceiveCalls, stats.SendCalls, stats.SendsDeferred, stats.SendsDropped);

        public static DeviceCounters operator -(DeviceCounters a, DeviceCounters b) => new(
            a.FramesReceived - b.FramesReceived, a.BytesReceived - b.BytesReceived, a.FramesSent - b.FramesSent, a.BytesSent - b.BytesSent,
            a.ReceiveCalls - b.ReceiveCalls, a.SendCalls - b.SendCalls, a.SendsDeferred - b.SendsDeferred, a.SendsDropped - b.SendsDropped);
    }
}
