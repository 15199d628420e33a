using System.Runtime.InteropServices;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// The libpcap calls SharpPcap 6.3.1 does not bind, or binds with allocations: pcap_dispatch with an unmanaged
/// callback, pcap_stats into a stack struct, pcap_breakloop, pcap_get_selectable_fd; and the filter compiler on a dead
/// handle of our snapshot length (SharpPcap's BpfProgram.Create(LinkLayers, …) fixes 65,536, which a filter returns as
/// the bytes to keep: a 64 KiB GRO frame of 65,549 bytes would lose its end). Bound to Debian's runtime name
/// libpcap.so.0.8, the same file SharpPcap's resolver loads there (no -dev package, so no libpcap.so symlink).
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

    public static string LastErrorText(nint pcap) => Marshal.PtrToStringUTF8((nint)LastError(pcap)) ?? "unknown libpcap error";

    /// <summary>Whether <paramref name="e"/> says libpcap (or SharpPcap's binding of it) could not be loaded.</summary>
    public static bool IsMissing(Exception e) => e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException;

    /// <summary>What a device throws when libpcap could not be loaded (<see cref="IsMissing"/>).</summary>
    public static DeviceUnavailableException Missing(Exception e) => new(DeviceUnavailableReason.LibraryMissing,
        $"libpcap could not be loaded ({Library}; on Debian: apt-get install libpcap0.8): {e.GetBaseException().Message}", e);
}
