using UserTcp.Fast.Tcp;
using UserTcp.Testbed.Fuzzing;
using UserTcp.Testbed.Harness;

namespace UserTcp.Fast.Tests.Fuzz;

/// <summary>
/// The fuzz harnesses without afl-fuzz: every target runs its whole seed corpus clean (so a harness broken by a change
/// shows here, not first in a campaign), and the state driver reaches every state with the invariants holding.
/// </summary>
public class FuzzTargetTests
{
    public static TheoryData<string> Targets => new(FuzzTargets.All.Select(t => t.Name));

    public static TheoryData<int> States => new(Enumerable.Range(0, ConnectionStates.Reachable.Length));

    [Theory]
    [MemberData(nameof(Targets))]
    public void EverySeedRunsClean(string name)
    {
        var target = FuzzTargets.Find(name);
        var seeds = target.Seeds().ToList();
        Assert.NotEmpty(seeds);
        foreach (var seed in seeds) target.Run(seed);
    }

    [Theory]
    [MemberData(nameof(States))]
    public void DriverReachesEachStateWithInvariantsHolding(int index)
    {
        var state = ConnectionStates.Reachable[index];
        var harness = new EngineHarness();
        var driven = ConnectionStates.DriveTo(harness, state);
        new ConnectionInvariants().Check(harness.Stack);
        Assert.NotEqual(0, driven.LocalPort);
        if (state is not (TcpState.Listen or TcpState.SynReceived or TcpState.TimeWait)) Assert.Equal(state, harness.Connection!.State);
    }

    /// <summary>The engine targets' seeds reach the connection (not dropped at the interface for a checksum, an address or
    /// a port): ESTABLISHED's first seed, 100 bytes of data, is there to read.</summary>
    [Fact]
    public void FrameSeedReachesTheConnection()
    {
        int established = Array.IndexOf(ConnectionStates.Reachable, TcpState.Established);
        var seed = SeedCorpus.StateFrames().First(s => s[0] == established);
        var harness = EngineTargets.Frame(seed);
        Assert.Equal(100, harness.Connection!.BytesAvailable);
    }

    /// <summary>ESTABLISHED's segment sequence ends with the peer's RST at RCV.NXT: the connection is over.</summary>
    [Fact]
    public void SegmentSeedReachesTheConnection()
    {
        int established = Array.IndexOf(ConnectionStates.Reachable, TcpState.Established);
        var seed = SeedCorpus.SegmentSequences().First(s => s[0] == established);
        var harness = EngineTargets.Segments(seed);
        Assert.Equal(TcpState.Closed, harness.Connection!.State);
        Assert.Equal(TcpError.ConnectionReset, harness.Connection.Error);
    }

    /// <summary>
    /// An empty input runs library code: the engine targets drive their first state (a listener) instead of returning
    /// before the engine. SharpFuzz's first run can read an empty stdin, and afl-fuzz aborts a target whose run reaches no
    /// instrumented branch (CI, the frame target: "No instrumentation detected").
    /// </summary>
    [Fact]
    public void EmptyInputDrivesTheEngineTargets()
    {
        Assert.Equal(TcpState.Listen, ConnectionStates.Reachable[0]);
        Assert.True(EngineTargets.Frame([]).Stack.HasListener(ConnectionStates.ListenPort));
        Assert.True(EngineTargets.Segments([]).Stack.HasListener(ConnectionStates.ListenPort));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void EmptyInputRunsClean(string name) => FuzzTargets.Find(name).Run([]);

    /// <summary>The engine targets start in the state their first byte picks: all of them, in order.</summary>
    [Fact]
    public void StateByteCoversEveryState() =>
        Assert.Equal(ConnectionStates.Reachable, Enumerable.Range(0, ConnectionStates.Reachable.Length).Select(i => EngineTargets.StateOf((byte)i)));
}
