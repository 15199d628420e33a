using BenchmarkDotNet.Running;
using UserTcp.Benchmarks;

// Every BenchmarkDotNet command-line option works (--filter, --job Dry, --exporters, --artifacts, --list). No job is
// set in code on purpose: a default job given in code would take precedence over --job on the command line.
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args).ToList();
PerformanceTargets.WriteReport(summaries);

// Non-zero when any selected benchmark failed to build, run or validate, so scripts and CI can rely on the exit code.
bool failed = summaries.Any(summary => summary.HasCriticalValidationErrors || summary.Reports.Any(report => !report.Success));
return failed ? 1 : 0;
