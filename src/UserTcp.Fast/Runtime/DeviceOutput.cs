using UserTcp.Fast.Devices;
using UserTcp.Fast.Dns;
using UserTcp.Fast.Interface;
using UserTcp.Fast.Time;

namespace UserTcp.Fast.Runtime;

/// <summary>Adapts a device to the interface's output.</summary>
internal sealed class DeviceOutput(INetworkDevice device) : IFrameOutput
{
    public void Transmit(ReadOnlySpan<byte> frame) => device.Send(frame);
}
