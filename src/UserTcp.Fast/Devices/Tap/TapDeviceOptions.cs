using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Devices.Tap;

/// <summary>How to open a <see cref="TapDevice"/>.</summary>
public sealed record TapDeviceOptions
{
    public const int DefaultSendQueueCapacity = 256;

    /// <summary>The TAP interface to create, or to attach to when a persistent one of that name exists.</summary>
    public required string InterfaceName { get; init; }

    /// <summary>The stack's own MAC on the link; null picks a random locally administered unicast address.</summary>
    public MacAddress? StackMacAddress { get; init; }

    /// <summary>Frames kept for a retry when the kernel refuses a write for the moment.</summary>
    public int SendQueueCapacity { get; init; } = DefaultSendQueueCapacity;
}
