namespace UserTcp.Fast.Devices.Simulated;

/// <summary>One end of a <see cref="SimulatedLink"/>.</summary>
internal enum LinkSide : byte
{
    A,
    B,
}
