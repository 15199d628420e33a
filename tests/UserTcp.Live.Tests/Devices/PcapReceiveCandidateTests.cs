using System.Diagnostics;
using SharpPcap;
using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Time;
using UserTcp.Live.Tests.Support;
using UserTcp.Testbed.Frames;
using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;
using Xunit.Abstractions;

using LibPcapLiveDevice = SharpPcap.LibPcap.LibPcapLiveDevice;

namespace UserTcp.Live.Tests.Devices;

/// <summary>
/// The measurement behind <see cref="PcapDevice"/>'s receive path (numbers in its doc comment): a ring pre-filled with
/// 10,000 frames by a raw socket on the veth's other end is drained once per candidate and round, so the rate is the
/// receiver's own cost per frame, not the generator's. The device's ring and a SharpPcap handle on the same interface,
/// both 32 MiB, receive every frame; each candidate drains its own, timed, then the other is emptied, untimed. Offloads
/// are off on our end so that libpcap's fixed ring slots are MTU-sized and 10,000 frames fit in either ring.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed unsafe class PcapReceiveCandidateTests(ITestOutputHelper output)
{
    private const int FramesPerRound = 10_000;
    private const int Rounds = 5;
    private const int Batch = 256;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private const int RingBytes = 32 << 20;

    private delegate void Drain(PcapDevice device, LibPcapLiveDevice sharpPcap, ref FrameCounter counter, long frames);

    private static readonly (string Name, Drain Drain)[] Candidates =
    [
        ("pcap_dispatch + [UnmanagedCallersOnly] (PcapDevice.Receive)", DrainWithDispatch),
        ("SharpPcap GetNextPacketPointers (pcap_next_ex)", DrainWithNextPacketPointers),
        ("SharpPcap GetNextPacket (reference)", DrainWithGetNextPacket),
    ];

    [Fact]
    public void Dispatch_and_next_ex_drain_without_allocating_and_report_their_rates()
    {
        using var lab = VethLink.Create();
        ProcessRunner.RunChecked("ethtool", ["-K", lab.StackInterface, "tso", "off", "gso", "off", "gro", "off"], Patience);
        // 32 MiB: 20,972 MTU-sized slots, room for a whole round (the default ring, sized for a TCP window of full
        // segments, holds 4,196).
        using var device = lab.OpenDevice(kernelBufferBytes: RingBytes, receivePath: PcapReceivePath.Ring);
        var sharpPcap = OpenSharpPcap(lab.StackInterface, device.Filter);
        try
        {
            Measure(lab, device, sharpPcap);
        }
        finally
        {
            sharpPcap.Close();
        }
    }

    private void Measure(VethLink lab, PcapDevice device, LibPcapLiveDevice sharpPcap)
    {
        using var generator = lab.OpenKernelSender();

        output.WriteLine($"{FramesPerRound} frames per round, median of {Rounds} rounds, batch {Batch}; frames/s | bytes allocated per frame");
        foreach (int payload in new[] { 18, 1472 })
        {
            var frame = lab.KernelUdpFrame(payload);
            var rates = Candidates.Select(_ => new List<double>()).ToArray();
            var allocated = new long[Candidates.Length];
            for (int round = 0; round < Rounds; round++)
            {
                for (int c = 0; c < Candidates.Length; c++)
                {
                    Fill(generator, frame);
                    var counter = new FrameCounter();
                    long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
                    long start = Stopwatch.GetTimestamp();
                    Candidates[c].Drain(device, sharpPcap, ref counter, FramesPerRound);
                    double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    long bytes = GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
                    EmptyBoth(device, sharpPcap);
                    Assert.Equal(FramesPerRound, counter.Frames);
                    rates[c].Add(FramesPerRound / seconds);
                    // The first round warms the JIT up; count steady state only.
                    if (round > 0) allocated[c] = Math.Max(allocated[c], bytes);
                }
            }
            for (int c = 0; c < Candidates.Length; c++)
                output.WriteLine($"{frame.Length,5} B  {Candidates[c].Name,-62} {Median(rates[c]),12:N0} | {allocated[c] / (double)FramesPerRound:0.##}");
            Assert.Equal(0, allocated[0]);
            Assert.Equal(0, allocated[1]);
        }
        Assert.Equal(0, device.Stats.KernelDrops);

        // System calls per frame on the chosen path, counted by strace on this thread only.
        var smallFrame = lab.KernelUdpFrame(18);
        Fill(generator, smallFrame);
        var traced = new FrameCounter();
        long receiveCallsBefore = device.Stats.ReceiveCalls;
        var calls = SyscallTracer.CountCalls(() => DrainWithDispatch(device, sharpPcap, ref traced, FramesPerRound));
        long syscalls = calls.Values.Sum();
        output.WriteLine($"pcap_dispatch drain of {FramesPerRound}: {device.Stats.ReceiveCalls - receiveCallsBefore} dispatch calls, " +
            $"{syscalls} system calls ({string.Join(", ", calls.Select(kv => $"{kv.Key} {kv.Value}"))}) = {syscalls / (double)FramesPerRound:0.0000} per frame");
        Assert.True(syscalls <= device.Stats.ReceiveCalls - receiveCallsBefore + 4, "at most one system call per pcap_dispatch call");
    }

    private static void Fill(RawFrameSender generator, byte[] frame)
    {
        generator.Send(frame, FramesPerRound);
        // The veth hands frames to the receiving side's backlog; give the softirq a moment to put them all in the ring.
        Thread.Sleep(30);
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>A SharpPcap handle as SharpPcap users open one: from its device list, with the device's ring settings and filter.</summary>
    private static LibPcapLiveDevice OpenSharpPcap(string interfaceName, string filter)
    {
        var capture = SharpPcap.LibPcap.LibPcapLiveDeviceList.New().First(d => d.Name == interfaceName);
        capture.Open(new DeviceConfiguration
        {
            Mode = DeviceModes.None, Snaplen = PcapDeviceOptions.DefaultSnapshotLength, BufferSize = RingBytes, Immediate = true,
            TimestampResolution = TimestampResolution.Nanosecond,
        });
        capture.Filter = filter;
        capture.NonBlockingMode = true;
        return capture;
    }

    /// <summary>Empties both rings (the candidate's is empty already), so that the next fill finds room in each.</summary>
    private static void EmptyBoth(PcapDevice device, LibPcapLiveDevice sharpPcap)
    {
        var discard = new FrameCounter();
        while (device.Receive(ref discard, Batch) > 0) { }
        nint header = 0, data = 0;
        while (sharpPcap.GetNextPacketPointers(ref header, ref data) == 1) { }
    }

    private static void DrainWithDispatch(PcapDevice device, LibPcapLiveDevice sharpPcap, ref FrameCounter counter, long frames)
    {
        var deadline = MonotonicClock.Now + Patience;
        while (counter.Frames < frames && MonotonicClock.Now < deadline) device.Receive(ref counter, Batch);
    }

    private static void DrainWithNextPacketPointers(PcapDevice device, LibPcapLiveDevice capture, ref FrameCounter counter, long frames)
    {
        var deadline = MonotonicClock.Now + Patience;
        while (counter.Frames < frames && MonotonicClock.Now < deadline)
        {
            // One clock read per batch, as the dispatch path does.
            var now = MonotonicClock.Now;
            for (int i = 0; i < Batch; i++)
            {
                nint header = 0, data = 0;
                if (capture.GetNextPacketPointers(ref header, ref data) != 1) break;
                counter.OnFrame(new ReadOnlySpan<byte>((void*)data, (int)((LibPcap.PacketHeader*)header)->CaptureLength), now);
            }
        }
    }

    private static void DrainWithGetNextPacket(PcapDevice device, LibPcapLiveDevice capture, ref FrameCounter counter, long frames)
    {
        var deadline = MonotonicClock.Now + Patience;
        while (counter.Frames < frames && MonotonicClock.Now < deadline)
        {
            var now = MonotonicClock.Now;
            for (int i = 0; i < Batch; i++)
            {
                if (capture.GetNextPacket(out PacketCapture packet) != GetPacketStatus.PacketRead) break;
                counter.OnFrame(packet.Data, now);
            }
        }
    }
}
