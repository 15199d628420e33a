using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Randomness;
using UserTcp.Fast.Tcp;
using UserTcp.Fast.Tcp.Congestion;

namespace UserTcp.Testbed.Simulation;

/// <summary>
/// The distribution the property runs draw from, one scenario per seed: random sizes in both directions, random
/// fault profiles (up to 10 % loss, some of it bursty, 20 % reordering, duplication, corruption, delay, rate
/// limits with small queues) and random engine settings (ACK policy, congestion control, SACK, timestamps, window
/// scaling, MSS, buffers, Nagle), sometimes with sequence numbers that cross 2^32. Same seed, same scenario.
/// </summary>
internal static class RandomScenarios
{
    public static TransferScenario Create(ulong seed)
    {
        var r = new DeterministicRandom(seed ^ 0xC0FFEE);
        return new TransferScenario
        {
            Seed = seed,
            BytesFromClient = Size(r),
            BytesFromServer = Size(r),
            ClientToServer = Profile(r),
            ServerToClient = Profile(r),
            ClientConfig = Config(r),
            ServerConfig = Config(r),
            ClientReadBytesPerSecond = r.Chance(0.05) ? r.Next(50_000, 5_000_000) : null,
            Batch = r.Chance(0.5) ? 64 : r.Next(1, 16),
            ClientIss = r.Chance(0.1) ? uint.MaxValue - (uint)r.Next(0, 200_000) : null,
            ServerIss = r.Chance(0.1) ? uint.MaxValue - (uint)r.Next(0, 200_000) : null,
        };
    }

    /// <summary>Mostly small, sometimes empty, now and then a megabyte or two.</summary>
    private static long Size(DeterministicRandom r)
    {
        double pick = r.NextDouble();
        if (pick < 0.1) return 0;
        if (pick < 0.85) return r.Next(1, 128 * 1024);
        return r.Next(128 * 1024, 2 * 1024 * 1024);
    }

    private static LinkProfile Profile(DeterministicRandom r)
    {
        bool rateLimited = r.Chance(0.3);
        return new LinkProfile
        {
            Loss = r.Chance(0.7) ? r.NextDouble() * 0.1 : 0,
            BurstLossStart = r.Chance(0.2) ? r.NextDouble() * 0.005 : 0,
            BurstLength = 1 + r.NextDouble() * 2,
            Reorder = r.Chance(0.5) ? r.NextDouble() * 0.2 : 0,
            ReorderDelay = TimeSpan.FromMilliseconds(0.05 + r.NextDouble() * 3),
            Duplicate = r.Chance(0.3) ? r.NextDouble() * 0.05 : 0,
            Corrupt = r.Chance(0.3) ? r.NextDouble() * 0.05 : 0,
            Delay = TimeSpan.FromMilliseconds(r.NextDouble() * 20),
            RateMbps = rateLimited ? 1 + r.NextDouble() * 999 : 0,
            QueueLimitBytes = rateLimited && r.Chance(0.5) ? r.Next(16_000, 512_000) : 0,
        };
    }

    private static TcpConfig Config(DeterministicRandom r)
    {
        bool scaling = r.Chance(0.8);
        int mss = r.Chance(0.7) ? 1460 : r.Next(536, 1460);
        int buffer = scaling ? r.Next(32 * 1024, 4 << 20) : r.Next(8 * 1024, 65535);
        return new TcpConfig
        {
            MaxSegmentSize = mss,
            ReceiveBufferSize = Math.Max(buffer, 2 * mss),
            SendBufferSize = r.Next(mss, 4 << 20),
            WindowScaling = scaling,
            Timestamps = r.Chance(0.8),
            SelectiveAcknowledgments = r.Chance(0.8),
            AckPolicy = r.Chance(0.8) ? AckPolicy.Cumulative : AckPolicy.Naive,
            CongestionControl = r.Chance(0.5) ? CongestionAlgorithm.Cubic : CongestionAlgorithm.NewReno,
            NoDelay = r.Chance(0.3),
            QuickAckSegments = r.Next(0, 17),
            // Lossy links with bursts can take many tries; the property is about correctness, not patience.
            MaxRetransmissions = 15,
            MaxSynRetransmissions = 12,
            TimeWaitDuration = TimeSpan.FromSeconds(r.Next(1, 61)),
        };
    }
}
