using System.Diagnostics;
using System.Reflection;

namespace UserTcp.Testbed.Processes;

/// <summary>
/// The project's programs, run as a user runs them: the <c>usertcp</c> command as the Native AOT binary the ./usertcp
/// script publishes, the live benchmark's harness as the solution build left it (same configuration as this assembly).
/// Nothing references an executable: tests and the live benchmark find the program here, or fail saying why.
/// </summary>
internal static class BuiltProgram
{
    private static readonly string Configuration =
        typeof(BuiltProgram).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    private static readonly Lazy<string> PublishedUsertcp = new(Publish);

    /// <summary>
    /// The <c>usertcp</c> binary that ./usertcp runs, published by that script first when it is missing or older than the
    /// sources (once per process; the script publishes one at a time).
    /// </summary>
    public static string Usertcp => PublishedUsertcp.Value;

    /// <summary>The live benchmark's harness.</summary>
    public static string LiveBench => Find("bench/UserTcp.LiveBench", "UserTcp.LiveBench");

    /// <summary>Runs <paramref name="program"/>: a native binary itself, an assembly under the dotnet host that runs this process.</summary>
    public static ProcessResult Run(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var (fileName, prefix) = Launch(program);
        return ProcessRunner.Run(fileName, [.. prefix, .. arguments], timeout);
    }

    /// <summary>Runs <paramref name="program"/> and requires exit code 0.</summary>
    public static ProcessResult RunChecked(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var (fileName, prefix) = Launch(program);
        return ProcessRunner.RunChecked(fileName, [.. prefix, .. arguments], timeout);
    }

    private static (string FileName, string[] Prefix) Launch(string program) =>
        program.EndsWith(".dll", StringComparison.Ordinal) ? (DotnetHost, [program]) : (program, []);

    private static string DotnetHost =>
        Environment.ProcessPath is { } self && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";

    private static string Publish()
    {
        var info = ProcessRunner.StartInfo("bash", [Repository.Path("usertcp")]);
        info.Environment["USERTCP_PUBLISH_ONLY"] = "1";
        using var process = Process.Start(info) ?? throw new TestbedException("could not start bash ./usertcp");
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        // A first publish (Native AOT) takes a minute or two on this project's 2-core machines.
        if (!process.WaitForExit(TimeSpan.FromMinutes(10))) process.Kill();
        process.WaitForExit();
        string path = output.Trim();
        if (process.ExitCode != 0 || !File.Exists(path))
            throw new TestbedException($"./usertcp could not publish the usertcp binary (exit {process.ExitCode}):\n{error.Result}");
        return path;
    }

    private static string Find(string project, string assemblyName)
    {
        string path = Repository.Path(project, "bin", Configuration, "net10.0", assemblyName + ".dll");
        if (!File.Exists(path))
            throw new TestbedException($"{path} is missing: build the solution first (dotnet build UserTcp.Fast.sln -c {Configuration})");
        return path;
    }
}
