using System.Runtime.InteropServices;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// The libpcap calls SharpPcap 6.3.1 does not bind, or binds with allocations: pcap_dispatch with an unmanaged
/// callback, pcap_stats into a stack struct, pcap_breakloop, pcap_get_selectable_fd. Bound to Debian's runtime name
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
}
