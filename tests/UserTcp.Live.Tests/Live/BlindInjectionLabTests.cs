using UserTcp.Fast.Api;
using UserTcp.Fast.Wire;
using UserTcp.Live.Tests.Devices;
using UserTcp.Testbed.Namespaces;
using Xunit.Abstractions;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// RFC 5961 against a live download: while the kernel of the peer's namespace sends 8 MiB through a 40 Mbit/s shaper, a
/// raw socket in that namespace forges RSTs, SYNs and data segments (100 bytes of 0xEE, a random ACK number) for the
/// connection's four-tuple with sequence numbers spread over the whole space (an off-path attacker who knows the ports;
/// RFC 5961 §3–5). The download completes byte-exact (no forged byte reaches the application), without a reset, and the
/// challenge ACKs stay under the rate limit. Of 4,096 blind data guesses a few at most fall in the receive window, so
/// this test would rarely notice a missing §5 ACK check (tried: it passed twice without it); BlindInjectionTests proves
/// that check on the simulated link with 65,536 guesses at the right sequence number. Needs root; namespaces start with "hx".
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class BlindInjectionLabTests(ITestOutputHelper output)
{
    private const int Port = 7200;
    private const int Burst = 4 << 20, Tail = 100, Bursts = 2;
    private const int Guesses = 4096;
    private static readonly byte[] ForgedData = Enumerable.Repeat((byte)0xEE, 100).ToArray();
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Forged_resets_syns_and_data_during_a_download_change_nothing()
    {
        using var lab = VethLink.Create(prefix: "hx");
        lab.Kernel.Exec("tc", "qdisc", "add", "dev", lab.KernelInterface, "root", "tbf", "rate", "40mbit", "burst", "64kb", "latency", "100ms");
        string script = Path.Combine(AppContext.BaseDirectory, "Live", "burst-peer.py");
        using var peer = lab.Kernel.Start("python3", script, $"{lab.KernelAddress}", $"{Port}", "1460", $"{Burst}", $"{Tail}", "10,10");
        peer.WaitForLine(line => line == "listening", Bound);
        using var stack = NetworkStack.Start(new NetworkStackOptions { Device = lab.OpenDevice(), Address = lab.StackAddress, PrefixLength = 24 });
        await using var stream = await stack.ConnectAsync(lab.KernelAddress, Port).WaitAsync(Bound);
        await stream.WriteAsync(new byte[] { 1 }).AsTask().WaitAsync(Bound);

        var received = new MemoryStream();
        var buffer = new byte[1 << 16];
        Task<int>? injection = null;
        long receivedWhenInjected = -1;
        int read;
        while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Bound)) > 0)
        {
            received.Write(buffer, 0, read);
            if (injection is null && received.Length > 256 << 10) injection = Task.Run(() => Inject(lab, stream.LocalPort));
            if (receivedWhenInjected < 0 && injection is { IsCompleted: true }) receivedWhenInjected = received.Length;
        }
        Assert.NotNull(injection);
        int forged = await injection.WaitAsync(Bound);
        var result = peer.WaitForExit(Bound);
        Assert.True(result.ExitCode == 0, $"the sender failed:\n{peer.Text}");

        byte[] data = received.ToArray();
        Assert.Equal(Bursts * (Burst + Tail), data.Length);
        for (int i = 0; i < data.Length; i++)
            if (data[i] != (byte)(i % (Burst + Tail) % 251)) Assert.Fail($"byte {i} is {data[i]}, sent {(byte)(i % (Burst + Tail) % 251)}");
        var stats = stream.Stats;
        output.WriteLine($"{forged} forged segments, all sent when {receivedWhenInjected} of {data.Length} bytes had arrived; " +
                         $"{stats.ChallengeAcksSent} challenge ACKs, {stats.AnswersRateLimited} answers rate-limited, " +
                         $"{stats.UnacceptableSegments} unacceptable segments");
        Assert.Equal(3 * Guesses, forged);
        Assert.InRange(receivedWhenInjected, 1, data.Length - 1); // the forgeries landed in the middle of the download
        // Every SYN is challenged (RFC 5961 §4.2), at most 100 a second; the download took a couple of seconds.
        Assert.InRange(stats.ChallengeAcksSent, 1, 100 * 10);
        Assert.True(stats.AnswersRateLimited > 0, $"{stats.ChallengeAcksSent} challenge ACKs, none limited: did the forgeries arrive?");
    }

    /// <summary>Sends <see cref="Guesses"/> RSTs, as many SYNs and as many data segments with random ACK numbers from the
    /// kernel's side, spread over 2^32 from a random start, at the stack's MAC, address and port, as the kernel's own
    /// segments would come.</summary>
    private static int Inject(VethLink lab, ushort stackPort)
    {
        using var sender = lab.OpenKernelSender();
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + 20 + ForgedData.Length];
        var ethernet = new EthernetHeader(lab.StackMac, lab.KernelMac, EtherType.Ipv4);
        var ip = new Ipv4Header(lab.KernelAddress, lab.StackAddress, IpProtocol.Tcp);
        uint start = (uint)Random.Shared.NextInt64(0, 1L << 32);
        int sent = 0;
        foreach (var flags in new[] { TcpFlags.Rst, TcpFlags.Syn, TcpFlags.Ack | TcpFlags.Psh })
        {
            bool data = flags.HasFlag(TcpFlags.Ack);
            for (int i = 0; i < Guesses; i++)
            {
                uint seq = unchecked(start + (uint)i * (uint)((1L << 32) / Guesses));
                uint ack = data ? (uint)Random.Shared.NextInt64(0, 1L << 32) : 0;
                var tcp = new TcpHeader(Port, stackPort, seq, ack, flags, 65535);
                int length = FrameWriter.WriteTcp(frame, ethernet, ip, tcp, data ? ForgedData : default);
                sender.Send(frame.AsSpan(0, length));
                if (++sent % 32 == 0) Thread.Sleep(1); // paced, so that the shaper's queue drops few of them
            }
        }
        return sent;
    }
}
