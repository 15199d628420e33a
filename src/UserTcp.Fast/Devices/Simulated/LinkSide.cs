namespace UserTcp.Fast.Devices.Simulated;

/// <summary>One end of a <see cref="SimulatedLink"/>.</summary>
public enum LinkSide : byte
{
    A,
    B,
}
