namespace UserTcp.Testbed.Labs;

/// <summary>The lab is not up, or not whole: <see cref="Lab.Status"/> found no state, a missing namespace or a dead nginx.</summary>
internal sealed class LabNotUpException(string message) : LabException(message);
