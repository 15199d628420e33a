using UserTcp.Testbed.Harness;

namespace UserTcp.Testbed.Processes;

/// <summary>Paths of the repository and a guard for tests that need root (lab namespaces): they fail, never skip.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "UserTcp.Fast.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (UserTcp.Fast.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Fails unless the effective user is root (<see cref="Environment.IsPrivilegedProcess"/>: geteuid() == 0, as the lab checks).</summary>
    public static void RequireRoot() =>
        Expect.True(Environment.IsPrivilegedProcess,
            "this lab test builds network namespaces and must run as root (CI does); it fails rather than skips");
}
