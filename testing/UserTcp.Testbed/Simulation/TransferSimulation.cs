using UserTcp.Fast.Devices.Simulated;
using UserTcp.Fast.Wire;

namespace UserTcp.Testbed.Simulation;

/// <summary>
/// Runs a <see cref="TransferScenario"/>: a client stack connects to a server stack across a <see cref="SimulatedLink"/>,
/// both stream a keyed byte pattern, check every byte they receive, close, and wait until both stacks are empty.
/// Virtual time jumps from event to event (frame delivery, timer, slow reader), so a run is exact and repeatable.
/// </summary>
internal static class TransferSimulation
{
    public static readonly Ipv4Address ClientAddress = new(198, 18, 0, 2);
    public static readonly Ipv4Address ServerAddress = new(198, 18, 0, 1);
    public const ushort ServerPort = 5001;

    /// <summary>Connects, moves the scenario's bytes both ways, closes both ends and drains both stacks.</summary>
    public static TransferResult Run(TransferScenario scenario)
    {
        var pair = new EnginePair(scenario);
        pair.Start();
        string? failure = pair.Transfer(scenario.BytesFromClient, scenario.BytesFromServer) ?? pair.Close();
        return pair.Result(failure);
    }
}
