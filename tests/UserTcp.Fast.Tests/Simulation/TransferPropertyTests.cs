using System.Collections.Concurrent;
using UserTcp.Fast.Devices.Simulated;
using UserTcp.Testbed.Simulation;

namespace UserTcp.Fast.Tests.Simulation;

/// <summary>
/// Property runs (issue: 2,000 seeded transfers): under random faults and settings every transfer is byte-exact in
/// both directions, both ends close (through TIME-WAIT) and no timer is left armed. A failure names its seed; the
/// same seed replays exactly: <c>./usertcp sim --profile random --first-seed N --seeds 1</c>.
/// </summary>
public sealed class TransferPropertyTests
{
    private const int Seeds = 2000;

    [Fact]
    public void Seeded_transfers_under_random_faults_are_byte_exact_and_close_cleanly()
    {
        var failures = new ConcurrentBag<string>();
        long bytes = 0;
        Parallel.For(0, Seeds, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var result = TransferSimulation.Run(RandomScenarios.Create((ulong)i));
            Interlocked.Add(ref bytes, result.BytesFromClient + result.BytesFromServer);
            if (!result.Succeeded) failures.Add($"seed {i}: {result.Failure}");
        });
        Assert.True(failures.IsEmpty,
            $"{failures.Count} of {Seeds} transfers failed; replay one with ./usertcp sim --profile random --first-seed N --seeds 1\n"
            + string.Join('\n', failures.OrderBy(f => f).Take(20)));
        Assert.True(bytes > Seeds * 50_000L, $"the runs moved only {bytes} bytes: the distribution is too small to mean anything");
    }

    [Fact]
    public void A_seed_replays_exactly()
    {
        var first = TransferSimulation.Run(RandomScenarios.Create(17));
        var again = TransferSimulation.Run(RandomScenarios.Create(17));
        Assert.Equal(first, again);
    }

    [Fact]
    public void The_distribution_really_is_hostile()
    {
        var scenarios = Enumerable.Range(0, 200).Select(i => RandomScenarios.Create((ulong)i)).ToList();
        Assert.Contains(scenarios, s => s.ServerToClient.Loss > 0.08);
        Assert.Contains(scenarios, s => s.ServerToClient.Reorder > 0.15);
        Assert.Contains(scenarios, s => s.ClientToServer.Duplicate > 0 && s.ClientToServer.Corrupt > 0);
        Assert.Contains(scenarios, s => s.ClientIss is not null);
        Assert.Contains(scenarios, s => s.BytesFromClient > 0 && s.BytesFromServer > 0);
    }

    [Fact] // a link that loses everything: the client gives up with a clear error instead of hanging
    public void A_dead_link_ends_in_a_timeout_not_a_hang()
    {
        var dead = LinkProfile.Perfect with { Loss = 1 };
        var result = TransferSimulation.Run(new TransferScenario { Seed = 1, BytesFromServer = 1000, ServerToClient = dead, ClientToServer = dead });
        Assert.False(result.Succeeded);
        Assert.Equal(UserTcp.Fast.Tcp.TcpError.TimedOut, result.ClientError);
    }
}
