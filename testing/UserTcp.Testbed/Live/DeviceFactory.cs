using UserTcp.Fast.Devices;
using UserTcp.Fast.Devices.Pcap;
using UserTcp.Fast.Devices.Tap;
using UserTcp.Fast.Native;

namespace UserTcp.Testbed.Live;

/// <summary>
/// Opens the live device a command runs on: the TAP when the setup names one, otherwise pcap on the named interface,
/// filtered for the stack's address.
/// </summary>
internal static class DeviceFactory
{
    public static INetworkDevice Open(StackSetup setup) =>
        setup.TapName is { } tap
            ? OpenTap(tap, setup.SegmentationOffload, setup.TapBatchedReads)
            : new PcapDevice(new PcapDeviceOptions
            {
                InterfaceName = setup.InterfaceName!,
                StackAddress = setup.Address,
                KernelBufferBytes = setup.CaptureBufferBytes,
                ReceivePath = setup.ReceivePath ?? PcapReceivePath.Auto,
                SendBatchFrames = setup.SendBatchFrames,
                QdiscBypass = setup.QdiscBypass,
                SegmentationOffload = setup.SegmentationOffload,
            });

    /// <summary>
    /// A TAP the stack creates is down and has no address, and vanishes when the stack exits: nobody can have configured
    /// its kernel side yet, so say so instead of letting the first connection time out unexplained.
    /// </summary>
    private static TapDevice OpenTap(string name, bool offloads, bool batchedReads)
    {
        bool existed = Libc.IfNameToIndex(name) != 0;
        var device = new TapDevice(new TapDeviceOptions { InterfaceName = name, Offloads = offloads, BatchedReads = batchedReads });
        if (!existed)
        {
            Console.Error.WriteLine($"usertcp: created TAP {device.Name}; it is down and has no address until its kernel side is configured " +
                                    $"(ip addr add ADDR/PREFIX dev {device.Name}; ip link set {device.Name} up), and goes when the stack exits. " +
                                    $"A persistent TAP made beforehand (ip tuntap add dev {device.Name} mode tap) keeps that configuration.");
        }
        return device;
    }
}
