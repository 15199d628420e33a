namespace UserTcp.Cli.Labs;

/// <summary>A lab operation failed; the message says which lab, which step or command, and why (the tool's stderr).</summary>
public class LabException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The lab is not up, or not whole: <see cref="Lab.Status"/> found no state, a missing namespace or a dead nginx.</summary>
public sealed class LabNotUpException(string message) : LabException(message);
