using UserTcp.Fast.Buffers;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Tcp;
using UserTcp.Testbed.Simulation;
using Xunit.Abstractions;

namespace UserTcp.Fast.Tests.Simulation;

/// <summary>
/// The hot path allocates nothing: during a 100 MiB transfer through the simulated link, the engine thread's
/// allocated-bytes counter does not move between frame 20,000 (warm-up done) and the last frame of the data, but for
/// the buffer chunks the stacks' pools create while the connections' buffers still grow with the window (bounded by
/// the buffers' maxima, and counted exactly: each is one 16 KiB array).
/// Everything runs on this thread: both stacks, both hosts' framing, the link, the applications.
/// </summary>
public sealed class SteadyStateAllocationTests(ITestOutputHelper output)
{
    private const long Bytes = 100L << 20;
    private const long WarmUpFrames = 20_000;
    /// <summary>What the garbage collector counts for one chunk: its bytes, the array's header and length.</summary>
    private const long ChunkAllocationBytes = ChunkPool.ChunkSize + 24;

    public static TheoryData<string, double, double, AckPolicy> Links => new()
    {
        { "perfect", 0, 0, AckPolicy.Cumulative },
        { "lossy and reordering", 0.002, 0.01, AckPolicy.Cumulative },
        { "perfect, naive ACKs", 0, 0, AckPolicy.Naive },
    };

    [Theory]
    [MemberData(nameof(Links))]
    public void Hundred_mebibytes_through_the_simulated_link_allocate_nothing_per_segment(string name, double loss, double reorder, AckPolicy policy)
    {
        var link = LinkProfile.Perfect with { Loss = loss, Reorder = reorder, Delay = TimeSpan.FromMilliseconds(0.1), ReorderDelay = TimeSpan.FromMilliseconds(0.05) };
        var config = new TcpConfig { AckPolicy = policy };
        long frames = 0, atWarm = -1, atLast = -1, lastFrame = 0, chunksAtWarm = 0, chunksAtLast = 0;
        TcpStack? client = null, server = null;
        long ChunksCreated() => client!.Buffers.ChunksCreated + server!.Buffers.ChunksCreated; // no LINQ: it would allocate
        FrameTap tap = (_, frame, _) =>
        {
            frames++;
            if (frames == WarmUpFrames)
            {
                atWarm = GC.GetAllocatedBytesForCurrentThread();
                chunksAtWarm = ChunksCreated();
            }
            if (frame.Length > 1000) // a data frame: the last one marks the end of the steady state
            {
                atLast = GC.GetAllocatedBytesForCurrentThread();
                chunksAtLast = ChunksCreated();
                lastFrame = frames;
            }
        };
        var result = TransferSimulation.Run(new TransferScenario
        {
            Seed = 7, BytesFromServer = Bytes, ClientToServer = link, ServerToClient = link,
            ClientConfig = config, ServerConfig = config, Tap = tap, OnStacks = (c, s) => (client, server) = (c, s),
        });
        Assert.True(result.Succeeded, result.Failure);
        long steadyFrames = lastFrame - WarmUpFrames;
        long chunks = chunksAtLast - chunksAtWarm;
        long chunkBytes = chunks * ChunkAllocationBytes;
        output.WriteLine($"{name}: {atLast - atWarm} bytes allocated over {steadyFrames} frames ({result.SegmentsSent} segments in all), " +
                         $"{chunks} buffer chunks of them ({chunkBytes} bytes; {ChunksCreated()} in the whole transfer)");
        Assert.True(steadyFrames > 50_000, $"the steady state spanned only {steadyFrames} frames");
        Assert.Equal(0, atLast - atWarm - chunkBytes);
        // Both directions' buffers at their maxima on both stacks: growth is bounded, not per segment.
        Assert.True(ChunksCreated() <= 2L * 2 * ((4 << 20) / ChunkPool.ChunkSize + 1), $"{ChunksCreated()} chunks created");
    }
}
