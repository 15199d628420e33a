using UserTcp.Fast.Interface;
using UserTcp.Fast.Runtime;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Time;
using UserTcp.Fast.Wire;
using UserTcp.Testbed.Namespaces;

namespace UserTcp.Live.Tests.Runtime;

/// <summary>
/// The dedicated poll thread on a real TAP link with the kernel as peer: it answers on its own, application threads
/// reach the stack only through its bounded queue, and a posted command wakes an idle thread at once (eventfd).
/// </summary>
public sealed class PollThreadTests
{
    private sealed class Replies : IEchoReplyListener
    {
        public readonly TaskCompletionSource<ushort> First = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void OnEchoReply(Ipv4Address from, ushort identifier, ushort sequence, int dataLength, byte timeToLive, Instant at) => First.TrySetResult(sequence);
    }

    private static (TapLink Lab, PollThread Thread, NetworkInterface Nic) Start()
    {
        var lab = TapLink.Create();
        var tcp = new TcpStack(new TcpConfig(), InitialSequenceNumbers.CreateRandom(), 3);
        var nic = new NetworkInterface(new InterfaceConfig
        {
            MacAddress = lab.Device.MacAddress, Address = lab.StackAddress, PrefixLength = 24, LinkIsHostLocal = true,
        }, tcp, new DeviceOutput(lab.Device));
        var thread = new PollThread(new PollLoop(lab.Device, nic));
        thread.Start();
        return (lab, thread, nic);
    }

    [Fact]
    public void The_kernels_pings_are_answered_by_the_poll_thread()
    {
        var (lab, thread, _) = Start();
        using (lab)
        using (thread)
        {
            var ping = lab.Kernel.TryExec(TimeSpan.FromSeconds(20), "ping", "-c", "3", "-i", "0.2", "-W", "2", lab.StackAddress.ToString());
            Assert.True(ping.ExitCode == 0, ping.Output + ping.Error);
            Assert.Null(thread.Failure);
        }
    }

    [Fact]
    public async Task Application_threads_reach_the_stack_through_the_queue()
    {
        var (lab, thread, nic) = Start();
        using (lab)
        using (thread)
        {
            var replies = new Replies();
            await thread.InvokeAsync((loop, now) => loop.Interface.EchoReplies = replies);
            await thread.InvokeAsync((loop, now) =>
            {
                loop.Interface.SendEchoRequest(lab.KernelAddress, 42, 7, new byte[32], now);
                return true;
            });
            var answered = await Task.WhenAny(replies.First.Task, Task.Delay(TimeSpan.FromSeconds(5)));
            Assert.True(answered == replies.First.Task, "the kernel's echo reply did not arrive");
            Assert.Equal((ushort)7, await replies.First.Task);
            long resolved = await thread.InvokeAsync((loop, now) => loop.Interface.Stats.ArpRequestsSent);
            Assert.Equal(1, resolved);
        }
    }

    [Fact]
    public async Task A_posted_command_wakes_an_idle_thread_at_once()
    {
        var (lab, thread, _) = Start();
        using (lab)
        using (thread)
        {
            await Task.Delay(300); // idle: nothing to receive, no timer armed: the thread sleeps in poll(2)
            var latencies = new List<double>();
            for (int i = 0; i < 10; i++)
            {
                var posted = MonotonicClock.Now;
                var ran = await thread.InvokeAsync((loop, now) => MonotonicClock.Now);
                latencies.Add((ran - posted).TotalMilliseconds);
                await Task.Delay(50);
            }
            latencies.Sort();
            // Without the eventfd the thread would sleep up to a second; a wake-up takes microseconds to a few ms.
            Assert.True(latencies[5] < 50, $"median wake-up {latencies[5]:0.0} ms: {string.Join(", ", latencies.Select(l => l.ToString("0.0")))}");
        }
    }
}
