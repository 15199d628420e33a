using UserTcp.Fast.Devices;
using UserTcp.Fast.Interface;

namespace UserTcp.Fast.Runtime;

/// <summary>Adapts a device to the interface's output.</summary>
internal sealed class DeviceOutput(INetworkDevice device) : IFrameOutput
{
    public void Transmit(ReadOnlySpan<byte> frame) => device.Send(frame);
}
