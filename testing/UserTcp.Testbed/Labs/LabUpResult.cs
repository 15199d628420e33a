using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace UserTcp.Testbed.Labs;

internal sealed record LabUpResult(LabInfo Lab, LabUpOutcome Outcome, IReadOnlyList<string> Changes);
