using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Native;
using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Devices;

/// <summary>
/// <see cref="LibPcapHandle"/>, libpcap's ring opened by name without SharpPcap: what it opens, and each refusal as a
/// <see cref="DeviceUnavailableException"/> with its reason. Needs root: fails, never skips, without it.
/// </summary>
[Collection(LiveDeviceCollection.Name)]
public sealed class LibPcapHandleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const int RingBytes = 2 << 20;

    [Fact]
    public void Opens_a_veth_non_blocking_with_its_filter_and_closes_once()
    {
        using var lab = VethLink.Create();
        var handle = LibPcapHandle.Open(lab.StackInterface, PcapDeviceOptions.DefaultSnapshotLength, RingBytes, "arp");
        Assert.NotEqual(0, handle.Pcap);
        Assert.True(handle.Descriptor >= 0);
        Assert.NotEqual(0, Libc.Fcntl(handle.Descriptor, Libc.F_GETFL, 0) & Libc.O_NONBLOCK);
        handle.Dispose();
        Assert.Equal(0, handle.Pcap);
        handle.Dispose();
    }

    [Fact]
    public void A_missing_interface_is_no_such_interface()
    {
        string name = "utdno" + NetworkNamespace.RandomSuffix();
        var failure = Assert.Throws<DeviceUnavailableException>(() => LibPcapHandle.Open(name, PcapDeviceOptions.DefaultSnapshotLength, RingBytes, "arp"));
        Assert.Equal(DeviceUnavailableReason.NoSuchInterface, failure.Reason);
        Assert.Contains(name, failure.Message);
    }

    [Fact]
    public void A_filter_libpcap_cannot_compile_is_refused_with_its_text()
    {
        using var lab = VethLink.Create();
        var failure = Assert.Throws<DeviceUnavailableException>(() =>
            LibPcapHandle.Open(lab.StackInterface, PcapDeviceOptions.DefaultSnapshotLength, RingBytes, "ether dst nonsense and"));
        Assert.Equal(DeviceUnavailableReason.OpenFailed, failure.Reason);
        Assert.Contains("ether dst nonsense and", failure.Message);
    }

    /// <summary>A TUN device carries bare IP packets (DLT_RAW): no Ethernet header for the stack to read.</summary>
    [Fact]
    public void A_link_without_ethernet_headers_is_the_wrong_kind()
    {
        string name = "utdtun" + NetworkNamespace.RandomSuffix();
        ProcessRunner.RunChecked("ip", ["tuntap", "add", "dev", name, "mode", "tun"], Patience);
        try
        {
            ProcessRunner.RunChecked("ip", ["link", "set", name, "up"], Patience);
            var failure = Assert.Throws<DeviceUnavailableException>(() => LibPcapHandle.Open(name, PcapDeviceOptions.DefaultSnapshotLength, RingBytes, "ip"));
            Assert.Equal(DeviceUnavailableReason.WrongKind, failure.Reason);
            Assert.Contains("not Ethernet", failure.Message);
        }
        finally
        {
            ProcessRunner.Run("ip", ["link", "del", name], Patience);
        }
    }
}
