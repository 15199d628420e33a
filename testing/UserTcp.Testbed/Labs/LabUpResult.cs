namespace UserTcp.Testbed.Labs;

internal sealed record LabUpResult(LabInfo Lab, LabUpOutcome Outcome, IReadOnlyList<string> Changes);
