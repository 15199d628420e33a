using UserTcp.Fast.Native;

namespace UserTcp.Fast.Devices.Pcap;

/// <summary>
/// A live libpcap handle (its ring) on one interface, opened by name with pcap_create and pcap_activate: immediate mode,
/// nanosecond stamps, not promiscuous, a filter, non-blocking. Not through SharpPcap, which opens only a device its list
/// enumerated (pcap_findalldevs over every interface) and first JITs its device layer: in a fresh process on this lab's
/// veth, 28-46 ms for the list and 29-33 ms for its Open against 26-35 ms for pcap_create and pcap_activate (most of them
/// the ring's RCU grace period). <see cref="PcapReceivePath.Auto"/> opens the ring in the middle of a transfer, on a second
/// thread of a 2-core machine, so that CPU time came out of the transfer's.
/// </summary>
internal sealed unsafe class LibPcapHandle : IDisposable
{
    private LibPcapHandle(nint pcap, int descriptor)
    {
        Pcap = pcap;
        Descriptor = descriptor;
    }

    /// <summary>The pcap_t; 0 once disposed.</summary>
    public nint Pcap { get; private set; }

    /// <summary>The packet socket under the ring (pcap_get_selectable_fd), non-blocking.</summary>
    public int Descriptor { get; }

    /// <exception cref="DeviceUnavailableException">libpcap missing, no such interface, not permitted, not Ethernet, or refused.</exception>
    public static LibPcapHandle Open(string interfaceName, int snapshotLength, int bufferBytes, string filter)
    {
        byte* error = stackalloc byte[LibPcap.ErrorBufferBytes];
        error[0] = 0;
        nint pcap;
        try
        {
            pcap = LibPcap.Create(interfaceName, error);
        }
        catch (Exception e) when (LibPcap.IsMissing(e))
        {
            throw LibPcap.Missing(e);
        }
        if (pcap == 0) throw Refused(interfaceName, DeviceUnavailableReason.OpenFailed, LibPcap.Text(error));
        try
        {
            // The setters fail only on an activated handle; this one is not yet.
            LibPcap.SetSnapshotLength(pcap, snapshotLength);
            LibPcap.SetBufferSize(pcap, bufferBytes);
            LibPcap.SetImmediateMode(pcap, 1);
            LibPcap.SetTimestampPrecision(pcap, LibPcap.TimestampPrecisionNano);
            int status = LibPcap.Activate(pcap);
            // Positive: a warning (a time-stamp type or promiscuous mode not supported), not a failure.
            if (status < 0)
            {
                var reason = status switch
                {
                    LibPcap.ErrorNoSuchDevice => DeviceUnavailableReason.NoSuchInterface,
                    LibPcap.ErrorPermissionDenied or LibPcap.ErrorPromiscuousPermissionDenied => DeviceUnavailableReason.PermissionDenied,
                    LibPcap.ErrorInterfaceNotUp => DeviceUnavailableReason.InterfaceGone,
                    _ => DeviceUnavailableReason.OpenFailed,
                };
                string text = LibPcap.Text(LibPcap.LastError(pcap), fallback: LibPcap.Text(LibPcap.StatusToText(status)));
                throw Refused(interfaceName, reason, text + (reason == DeviceUnavailableReason.PermissionDenied ? " (needs root or CAP_NET_RAW)" : ""));
            }
            int linkType = LibPcap.LinkType(pcap);
            if (linkType != LibPcap.LinkTypeEthernet)
                throw Refused(interfaceName, DeviceUnavailableReason.WrongKind, $"link type {linkType}, not Ethernet");
            SetFilter(pcap, interfaceName, filter);
            if (LibPcap.SetNonBlocking(pcap, 1, error) != 0) throw Refused(interfaceName, DeviceUnavailableReason.OpenFailed, LibPcap.Text(error));
            int descriptor = LibPcap.SelectableFd(pcap);
            if (descriptor < 0) throw Refused(interfaceName, DeviceUnavailableReason.OpenFailed, "libpcap gave no selectable descriptor");
            // pcap_setnonblock only changes how libpcap waits on a ring; frames are also sent on this descriptor, where a
            // full socket buffer must be EAGAIN, not a wait.
            Libc.MakeNonBlocking(descriptor, interfaceName);
            return new LibPcapHandle(pcap, descriptor);
        }
        catch
        {
            LibPcap.Close(pcap);
            throw;
        }
    }

    /// <summary>pcap_compile on the live handle (its snapshot length, so that a 64 KiB GRO frame is kept whole), then pcap_setfilter.</summary>
    private static void SetFilter(nint pcap, string interfaceName, string filter)
    {
        LibPcap.BpfProgram program;
        if (LibPcap.Compile(pcap, &program, filter, optimize: 1, netmask: 0) != 0)
            throw Refused(interfaceName, DeviceUnavailableReason.OpenFailed, $"filter \"{filter}\": {LibPcap.LastErrorText(pcap)}");
        try
        {
            if (LibPcap.SetFilter(pcap, &program) != 0)
                throw Refused(interfaceName, DeviceUnavailableReason.OpenFailed, $"filter \"{filter}\": {LibPcap.LastErrorText(pcap)}");
        }
        finally
        {
            LibPcap.FreeCode(&program);
        }
    }

    private static DeviceUnavailableException Refused(string interfaceName, DeviceUnavailableReason reason, string text) =>
        new(reason, $"{interfaceName}: {text}");

    /// <summary>pcap_close: the ring unmapped, the socket closed (the kernel waits for two RCU grace periods).</summary>
    public void Dispose()
    {
        if (Pcap == 0) return;
        LibPcap.Close(Pcap);
        Pcap = 0;
    }
}
