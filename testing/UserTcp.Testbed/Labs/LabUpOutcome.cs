namespace UserTcp.Testbed.Labs;

/// <summary>How <see cref="Lab.Up"/> found the lab and what it changed (one line per changed setting).</summary>
internal enum LabUpOutcome { Created, Unchanged, Reconfigured, Rebuilt }
