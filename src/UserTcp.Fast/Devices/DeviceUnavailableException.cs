namespace UserTcp.Fast.Devices;

/// <summary>
/// A live device could not be opened or failed for good (as opposed to a transient send error, which is queued and
/// counted, never thrown). The poll loop turns it into a CLI error, so the message names the interface and the cause.
/// </summary>
public sealed class DeviceUnavailableException : Exception
{
    public DeviceUnavailableException(DeviceUnavailableReason reason, string message, Exception? innerException = null)
        : base(message, innerException) => Reason = reason;

    public DeviceUnavailableReason Reason { get; }
}
