namespace UserTcp.Fast.Interface;

/// <summary>Where the interface puts finished Ethernet frames (a device, through the poll loop). The span is only valid during the call.</summary>
internal interface IFrameOutput
{
    void Transmit(ReadOnlySpan<byte> frame);
}
