using System.Reflection;

namespace UserTcp.Testbed.Processes;

/// <summary>
/// The project's programs as the solution build left them (same configuration as this assembly), run as a user runs them.
/// Nothing references an executable: tests and the live benchmark find the built program here, or fail saying what to build.
/// </summary>
internal static class BuiltProgram
{
    private static readonly string Configuration =
        typeof(BuiltProgram).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    /// <summary>The <c>usertcp</c> command's assembly (run it with <c>dotnet</c>).</summary>
    public static string Usertcp => Find("src/UserTcp.Cli", "usertcp");

    /// <summary>The live benchmark's harness.</summary>
    public static string LiveBench => Find("bench/UserTcp.LiveBench", "UserTcp.LiveBench");

    /// <summary>Runs <paramref name="assembly"/> under the dotnet host that runs this process.</summary>
    public static ProcessResult Run(string assembly, IEnumerable<string> arguments, TimeSpan timeout) =>
        ProcessRunner.Run(DotnetHost, [assembly, .. arguments], timeout);

    /// <summary>Runs <paramref name="assembly"/> and requires exit code 0.</summary>
    public static ProcessResult RunChecked(string assembly, IEnumerable<string> arguments, TimeSpan timeout) =>
        ProcessRunner.RunChecked(DotnetHost, [assembly, .. arguments], timeout);

    /// <summary>The dotnet host running this process (the ./usertcp script runs usertcp.dll the same way).</summary>
    public static string DotnetHost =>
        Environment.ProcessPath is { } self && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";

    private static string Find(string project, string assemblyName)
    {
        string path = Repository.Path(project, "bin", Configuration, "net10.0", assemblyName + ".dll");
        if (!File.Exists(path))
            throw new TestbedException($"{path} is missing: build the solution first (dotnet build UserTcp.Fast.sln -c {Configuration})");
        return path;
    }
}
