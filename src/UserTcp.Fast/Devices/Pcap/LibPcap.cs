using System.Runtime.InteropServices;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// The libpcap calls the pcap device makes itself: opening a live handle on one named interface (pcap_create,
/// pcap_activate: SharpPcap opens only what its device list enumerated, see <see cref="LibPcapHandle"/>), pcap_dispatch
/// with an unmanaged callback, pcap_stats into a stack struct, pcap_breakloop, pcap_get_selectable_fd; and the filter
/// compiler on a dead handle of our snapshot length (SharpPcap's BpfProgram.Create(LinkLayers, …) fixes 65,536, which a
/// filter returns as the bytes to keep: a 64 KiB GRO frame of 65,549 bytes would lose its end). Bound to Debian's runtime
/// name libpcap.so.0.8, the same file SharpPcap's resolver loads there (no -dev package, so no libpcap.so symlink).
/// </summary>
internal static unsafe partial class LibPcap
{
    public const string Library = "libpcap.so.0.8";

    /// <summary>pcap_dispatch's result when pcap_breakloop ended it.</summary>
    public const int ErrorBreak = -2;

    /// <summary>struct pcap_pkthdr on 64-bit Linux: a struct timeval (fraction in ns when opened with nanosecond precision).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PacketHeader
    {
        public long Seconds;
        public long Fraction;
        public uint CaptureLength;
        public uint WireLength;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Statistics
    {
        public uint Received;
        public uint Dropped;
        public uint InterfaceDropped;
    }

    /// <summary>struct bpf_program: the compiled filter (struct sock_fprog has the same layout on little-endian 64-bit Linux).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct BpfProgram
    {
        public uint InstructionCount;
        public void* Instructions;
    }

    /// <summary>DLT_EN10MB.</summary>
    public const int LinkTypeEthernet = 1;

    /// <summary>PCAP_ERRBUF_SIZE.</summary>
    public const int ErrorBufferBytes = 256;

    /// <summary>PCAP_TSTAMP_PRECISION_NANO.</summary>
    public const int TimestampPrecisionNano = 1;

    /// <summary>pcap_activate's failures that say more than "failed" (pcap/pcap.h).</summary>
    public const int ErrorNoSuchDevice = -5, ErrorPermissionDenied = -8, ErrorInterfaceNotUp = -9, ErrorPromiscuousPermissionDenied = -11;

    [LibraryImport(Library, EntryPoint = "pcap_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint Create(string device, byte* errorBuffer);

    [LibraryImport(Library, EntryPoint = "pcap_set_snaplen")]
    public static partial int SetSnapshotLength(nint pcap, int snapshotLength);

    [LibraryImport(Library, EntryPoint = "pcap_set_buffer_size")]
    public static partial int SetBufferSize(nint pcap, int bytes);

    [LibraryImport(Library, EntryPoint = "pcap_set_immediate_mode")]
    public static partial int SetImmediateMode(nint pcap, int immediate);

    [LibraryImport(Library, EntryPoint = "pcap_set_tstamp_precision")]
    public static partial int SetTimestampPrecision(nint pcap, int precision);

    [LibraryImport(Library, EntryPoint = "pcap_activate")]
    public static partial int Activate(nint pcap);

    [LibraryImport(Library, EntryPoint = "pcap_statustostr")]
    public static partial byte* StatusToText(int status);

    [LibraryImport(Library, EntryPoint = "pcap_datalink")]
    public static partial int LinkType(nint pcap);

    [LibraryImport(Library, EntryPoint = "pcap_setfilter")]
    public static partial int SetFilter(nint pcap, BpfProgram* program);

    [LibraryImport(Library, EntryPoint = "pcap_setnonblock")]
    public static partial int SetNonBlocking(nint pcap, int nonBlocking, byte* errorBuffer);

    [LibraryImport(Library, EntryPoint = "pcap_open_dead")]
    public static partial nint OpenDead(int linkType, int snapshotLength);

    [LibraryImport(Library, EntryPoint = "pcap_compile", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Compile(nint pcap, BpfProgram* program, string filter, int optimize, uint netmask);

    [LibraryImport(Library, EntryPoint = "pcap_freecode")]
    public static partial void FreeCode(BpfProgram* program);

    [LibraryImport(Library, EntryPoint = "pcap_close")]
    public static partial void Close(nint pcap);

    [LibraryImport(Library, EntryPoint = "pcap_dispatch")]
    public static partial int Dispatch(nint pcap, int count, delegate* unmanaged<byte*, PacketHeader*, byte*, void> callback, byte* user);

    [LibraryImport(Library, EntryPoint = "pcap_breakloop")]
    public static partial void BreakLoop(nint pcap);

    [LibraryImport(Library, EntryPoint = "pcap_stats")]
    public static partial int Stats(nint pcap, Statistics* statistics);

    [LibraryImport(Library, EntryPoint = "pcap_get_selectable_fd")]
    public static partial int SelectableFd(nint pcap);

    [LibraryImport(Library, EntryPoint = "pcap_geterr")]
    public static partial byte* LastError(nint pcap);

    public static string LastErrorText(nint pcap) => Text(LastError(pcap));

    /// <summary>A NUL-terminated message of libpcap's (its error buffer, pcap_geterr, pcap_statustostr); <paramref name="fallback"/> when empty.</summary>
    public static string Text(byte* message, string fallback = "unknown libpcap error") =>
        Marshal.PtrToStringUTF8((nint)message) is { Length: > 0 } text ? text : fallback;

    /// <summary>Whether <paramref name="e"/> says libpcap (or SharpPcap's binding of it) could not be loaded.</summary>
    public static bool IsMissing(Exception e) => e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException;

    /// <summary>What a device throws when libpcap could not be loaded (<see cref="IsMissing"/>).</summary>
    public static DeviceUnavailableException Missing(Exception e) => new(DeviceUnavailableReason.LibraryMissing,
        $"libpcap could not be loaded ({Library}; on Debian: apt-get install libpcap0.8): {e.GetBaseException().Message}", e);
}
