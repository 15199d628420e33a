namespace UserTcp.Fast.Devices;

/// <summary>Why a live device could not be opened, or stopped working.</summary>
public enum DeviceUnavailableReason
{
    /// <summary>No interface of that name in this network namespace.</summary>
    NoSuchInterface,
    /// <summary>Opening needs root or CAP_NET_RAW/CAP_NET_ADMIN (or ownership of a persistent TAP).</summary>
    PermissionDenied,
    /// <summary>A native library (libpcap.so.0.8) could not be loaded.</summary>
    LibraryMissing,
    /// <summary>The kernel lacks the driver (/dev/net/tun missing).</summary>
    DriverMissing,
    /// <summary>The interface exists but is of another kind than the device needs (a TAP name taken by a veth, ...).</summary>
    WrongKind,
    /// <summary>Another process holds the interface (a non-multiqueue TAP already attached).</summary>
    InUse,
    /// <summary>The interface disappeared or went down while in use.</summary>
    InterfaceGone,
    /// <summary>Anything else the kernel or libpcap refused; the message carries its words.</summary>
    OpenFailed,
}
