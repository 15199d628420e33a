using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Pcap;

namespace UserTcp.Testbed.Live;

/// <summary>Opens the live device a command runs on: pcap on the named interface, filtered for the stack's address.</summary>
internal static class DeviceFactory
{
    public static INetworkDevice Open(StackSetup setup) =>
        new PcapDevice(new PcapDeviceOptions
        {
            InterfaceName = setup.InterfaceName!,
            StackAddress = setup.Address,
            SendBatchFrames = setup.SendBatchFrames,
            QdiscBypass = setup.QdiscBypass,
        });
}
