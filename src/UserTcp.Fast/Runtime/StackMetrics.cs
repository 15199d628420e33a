using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace UserTcp.Fast.Runtime;

/// <summary>
/// The stack's counters as System.Diagnostics.Metrics instruments (meter <see cref="MeterName"/>): frames in and out, drops
/// by reason, ACKs, retransmissions, ARP, DNS queries. Observable instruments read the poll loop's plain counters when a
/// listener collects, off the per-packet path. A listener tells one stack's instruments from another's by their meter's
/// <see cref="Meter.Scope"/>, which is this object (<see cref="Api.NetworkStack.Metrics"/>). <see cref="Format"/> prints
/// the same figures for <c>--stats</c>, and with them the process's garbage collections and allocations since the stack
/// started and, when the stack runs on a <see cref="PollThread"/>, that thread's allocations (per frame, and in the
/// steady state) and CPU time. The stack owns the meter and disposes it with itself.
/// </summary>
public sealed class StackMetrics
{
    public const string MeterName = "UserTcp.Fast";
    private readonly Meter _meter;
    private readonly PollLoop _loop;
    private readonly PollThreadUsage? _pollThread;
    private readonly int[] _collectionsAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
    private readonly long _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
    private readonly TimeSpan _pausedAtStart = GC.GetTotalPauseDuration();

    internal StackMetrics(PollLoop loop, PollThreadUsage? pollThread = null)
    {
        _loop = loop;
        _pollThread = pollThread;
        _meter = new Meter(new MeterOptions(MeterName) { Scope = this }); // the scope tells this stack's instruments from another's
        var nic = loop.Interface;
        var device = loop.Device;
        _meter.CreateObservableCounter("usertcp.frames.received", () => nic.Stats.FramesReceived, "{frame}");
        _meter.CreateObservableCounter("usertcp.frames.sent", () => nic.Stats.FramesSent, "{frame}");
        _meter.CreateObservableCounter("usertcp.frames.dropped", () => nic.Stats.Drops().Select(d => new Measurement<long>(d.Count, new KeyValuePair<string, object?>("reason", d.Reason))), "{frame}");
        _meter.CreateObservableCounter("usertcp.device.kernel_drops", () => device.Stats.KernelDrops, "{frame}");
        _meter.CreateObservableCounter("usertcp.tcp.acks_sent", () => nic.Tcp.TotalConnectionStats().PureAcksSent, "{segment}");
        _meter.CreateObservableCounter("usertcp.tcp.retransmissions", () => nic.Tcp.TotalConnectionStats().Retransmissions, "{segment}");
        _meter.CreateObservableCounter("usertcp.tcp.resets_sent", () => nic.Tcp.Stats.ResetsSent, "{segment}");
        _meter.CreateObservableCounter("usertcp.arp.requests_sent", () => nic.Stats.ArpRequestsSent, "{frame}");
        _meter.CreateObservableCounter("usertcp.arp.replies_sent", () => nic.Stats.ArpRepliesSent, "{frame}");
        if (loop.Resolver is { } resolver)
        {
            _meter.CreateObservableCounter("usertcp.dns.queries_sent", () => resolver.Stats.QueriesSent, "{datagram}");
            _meter.CreateObservableCounter("usertcp.dns.responses_dropped", () => resolver.Stats.Dropped, "{datagram}");
        }
        if (loop.Dhcp is { } dhcp)
        {
            _meter.CreateObservableCounter("usertcp.dhcp.messages_sent", () => dhcp.Stats.DiscoversSent + dhcp.Stats.RequestsSent + dhcp.Stats.DeclinesSent + dhcp.Stats.ReleasesSent, "{datagram}");
            _meter.CreateObservableCounter("usertcp.dhcp.leases_obtained", () => dhcp.Stats.LeasesObtained, "{lease}");
        }
        if (pollThread is not null) _meter.CreateObservableCounter("usertcp.poll_thread.stack_allocated", () => pollThread.StackBytes, "By");
    }

    /// <summary>The <c>--stats</c> report: one "name value" line per figure. On the poll thread: it walks the connection table.</summary>
    internal string Format()
    {
        var nic = _loop.Interface;
        var device = _loop.Device.Stats;
        var tcp = nic.Tcp.TotalConnectionStats();
        var latency = nic.Tcp.AckLatency;
        var text = new StringBuilder();
        void Line(string name, long value) => text.Append(CultureInfo.InvariantCulture, $"  {name,-34} {value,14}\n");
        text.Append("stack counters:\n");
        Line("frames received", nic.Stats.FramesReceived);
        Line("frames sent", nic.Stats.FramesSent);
        Line("gso frames sent (kernel segments)", nic.Stats.SegmentedFramesSent);
        Line("gso stopped (device refused)", nic.Stats.SegmentationStopped);
        Line("device kernel drops (ps_drop)", device.KernelDrops);
        Line("device receive calls", device.ReceiveCalls);
        Line("device frames taken twice (switch)", device.SwitchDuplicates);
        Line("device send calls", device.SendCalls);
        Line("device frames sent", device.FramesSent);
        Line("device sends deferred", device.SendsDeferred);
        Line("device sends dropped", device.SendsDropped);
        Line("poll loop turns", _loop.Turns);
        Line("poll loop turns on a waiting frame", _loop.Idle.WaitingFrameTurns);
        if (_loop.Idle.Mode == PollMode.Adaptive) Line("poll loop adaptive spin turns", _loop.Idle.SpinTurns);
        foreach (var (reason, count) in nic.Stats.Drops()) if (count > 0) Line($"dropped: {reason}", count);
        Line("partial checksums accepted", nic.Stats.PartialChecksumsAccepted);
        Line("arp requests sent", nic.Stats.ArpRequestsSent);
        Line("arp replies sent", nic.Stats.ArpRepliesSent);
        Line("arp updates locked", nic.Stats.ArpUpdatesLocked);
        Line("tcp segments received", tcp.SegmentsReceived);
        Line("tcp segments sent", tcp.SegmentsSent);
        Line("tcp pure acks sent", tcp.PureAcksSent);
        Line("tcp retransmissions", tcp.Retransmissions);
        Line("tcp retransmission timeouts", tcp.RetransmissionTimeouts);
        Line("tcp bytes read directly (into a waiting reader)", tcp.BytesReadDirectly);
        Line("tcp out-of-order segments", tcp.OutOfOrderSegments);
        Line("tcp out-of-order refused (ranges full)", tcp.ReassemblyRefused);
        Line("tcp duplicate segments", tcp.DuplicateSegments);
        Line("tcp challenge acks sent", tcp.ChallengeAcksSent);
        Line("tcp answers rate-limited", tcp.AnswersRateLimited);
        Line("tcp delayed-ack timer expiries", tcp.DelayedAckTimeouts);
        Line("tcp d-sacks sent", tcp.DuplicateSacksSent);
        Line("tcp zero windows advertised", tcp.ZeroWindowsAdvertised);
        Line("tcp zero window probes sent", tcp.ZeroWindowProbes);
        Line("tcp resets sent", nic.Tcp.Stats.ResetsSent);
        Line("tcp resets rate-limited", nic.Tcp.Stats.ResetsRateLimited);
        Line("tcp resets dropped (queue full)", nic.Tcp.Stats.ResetsDropped);
        Line("tcp time-wait overflows", nic.Tcp.Stats.TimeWaitOverflows);
        Line("tcp resets for unread data", tcp.ResetsForUnreadData);
        var stack = nic.Tcp.Stats;
        Line("tcp path mtu reductions (icmp)", stack.PathMtuReductions);
        Line("tcp frag-needed ignored: no conn", stack.FragmentationNeededForNoConnection);
        Line("tcp frag-needed ignored: bad seq", stack.FragmentationNeededOutOfWindow);
        Line("tcp connections accepted", stack.ConnectionsAccepted);
        Line("tcp syns dropped (backlog full)", stack.SynsDroppedByBacklog);
        if (stack.ConnectionsAccepted + stack.SynsDroppedByBacklog + stack.SynCookiesSent + stack.SynCookiesRejected > 0)
        {
            Line("tcp listen overflows (acks dropped)", stack.ListenOverflows);
            Line("tcp syn-ack retransmissions", stack.SynAckRetransmissions);
            Line("tcp half-open expired", stack.SynRequestsExpired);
            Line("tcp syn-acks dropped (queue full)", stack.SynAcksDropped);
            Line("tcp syn cookies sent", stack.SynCookiesSent);
            Line("tcp syn cookies validated", stack.SynCookiesValidated);
            Line("tcp syn cookies rejected", stack.SynCookiesRejected);
        }
        if (_loop.Resolver is { Stats: { Lookups: > 0 } dns })
        {
            Line("dns lookups", dns.Lookups);
            Line("dns queries sent", dns.QueriesSent);
            Line("dns retries", dns.Retries);
            Line("dns responses dropped", dns.Dropped);
        }
        if (_loop.Dhcp is { } dhcp)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {"dhcp state",-34} {dhcp.State.ToString().ToLowerInvariant(),14}\n");
            foreach (var (name, value) in dhcp.Stats.All()) Line(name, value);
        }
        for (int generation = 0; generation <= 2; generation++)
            Line($"gc gen{generation} collections", GC.CollectionCount(generation) - _collectionsAtStart[generation]);
        Line("gc bytes allocated (process)", GC.GetTotalAllocatedBytes(precise: true) - _allocatedAtStart);
        Line("gc pause microseconds (process)", (long)(GC.GetTotalPauseDuration() - _pausedAtStart).TotalMicroseconds);
        if (_pollThread is { } poll)
        {
            Line("poll thread bytes allocated", poll.TotalBytes);
            Line("poll thread bytes by commands", poll.CommandBytes);
            Line("poll thread bytes by wake-ups", poll.WakeUpBytes);
            Line("poll thread bytes by buffer growth", poll.BufferGrowthBytes);
            Line("poll thread bytes by stack work", poll.StackBytes);
            if (poll.SteadyState() is var (first, last, bytes))
            {
                Line("poll thread steady-state frames", last - first);
                Line("poll thread steady-state bytes", bytes);
            }
            if (poll.CpuTime() is { } cpu) Line("poll thread cpu microseconds", (long)cpu.TotalMicroseconds);
        }
        if (latency.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  ack delay (arrival to ACK)         p50 {latency.Percentile(50) / 1000.0:0.0} us, p99 {latency.Percentile(99) / 1000.0:0.0} us, max {latency.MaxNanoseconds / 1000.0:0.0} us over {latency.Count} segments\n");
        }
        return text.ToString();
    }

    internal void Dispose() => _meter.Dispose();
}
