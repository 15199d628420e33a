using UserTcp.Fast.Buffers;
using UserTcp.Fast.Devices;
using UserTcp.Fast.Interface;

namespace UserTcp.Fast.Runtime;

/// <summary>Adapts a device to the interface's output, with its segmentation offload when it has one.</summary>
internal sealed class DeviceOutput(INetworkDevice device) : ISegmentingFrameOutput
{
    private readonly ISegmentationOffload? _offload = device as ISegmentationOffload;

    public int MaxSegmentedFrameBytes => _offload?.MaxSegmentedFrameBytes ?? 0;

    public void Transmit(ReadOnlySpan<byte> frame) => device.Send(frame);

    public void TransmitSegmented(ReadOnlySpan<byte> frame, int segmentSize) => _offload!.SendSegmented(frame, segmentSize);

    public bool TakesPayloadByReference => _offload?.TakesPayloadByReference ?? false;

    public void TransmitSegmented(ReadOnlySpan<byte> headers, in SegmentPayload payload, int segmentSize) =>
        _offload!.SendSegmented(headers, in payload, segmentSize);

    public void SettlePayloads() => _offload?.SettlePayloads();
}
