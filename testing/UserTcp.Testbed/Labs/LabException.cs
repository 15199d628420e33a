namespace UserTcp.Testbed.Labs;

/// <summary>A lab operation failed; the message says which lab, which step or command, and why (the tool's stderr).</summary>
internal class LabException(string message, Exception? inner = null) : Exception(message, inner);
