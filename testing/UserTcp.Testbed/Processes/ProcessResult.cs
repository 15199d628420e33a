namespace UserTcp.Testbed.Processes;

internal sealed record ProcessResult(int ExitCode, string Output, string Error);
