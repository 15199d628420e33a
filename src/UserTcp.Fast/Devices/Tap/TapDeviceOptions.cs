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

    /// <summary>
    /// Take the kernel's segmentation and checksum offloads (IFF_VNET_HDR, TUNSETOFFLOAD with TUN_F_CSUM | TUN_F_TSO4): TCP
    /// segments come as the kernel holds them, up to 64 KiB with the checksum left partial, instead of cut and summed into
    /// frames of the MTU, one read(2) each. Frames the stack sends are complete either way. Off: plain frames both ways.
    /// </summary>
    public bool Offloads { get; init; } = true;

    /// <summary>
    /// Read frames in batches: one io_uring_enter(2) runs up to 16 reads (a TAP has no recvmmsg), instead of one read(2)
    /// per frame. Where this kernel has no io_uring (not built in, kernel.io_uring_disabled, a seccomp filter) the device
    /// reads one frame per read(2) and says why in <see cref="TapDevice.BatchingUnavailableReason"/>.
    /// </summary>
    public bool BatchedReads { get; init; } = true;

    /// <summary>Frames kept for a retry when the kernel refuses a write for the moment.</summary>
    public int SendQueueCapacity { get; init; } = DefaultSendQueueCapacity;
}
