namespace UserTcp.Live.Tests.Devices;

/// <summary>Live-device tests build namespaces and measure timing and allocation: they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveDeviceCollection
{
    public const string Name = "live devices";
}
