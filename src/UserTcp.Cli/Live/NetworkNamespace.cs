using System.Diagnostics;

namespace UserTcp.Cli.Live;

/// <summary>
/// Runs this same command inside a network namespace (<c>ip netns exec</c>), which also gives it that namespace's
/// /sys, where devices read their MAC and MTU. The child is marked by an environment variable so it runs for real.
/// </summary>
internal static class NetworkNamespace
{
    private const string Marker = "USERTCP_NETNS";

    public static bool IsInside(string netns) => Environment.GetEnvironmentVariable(Marker) == netns;

    /// <summary>Re-executes the current command line inside <paramref name="netns"/> and returns its exit code.</summary>
    public static int RunInside(string netns)
    {
        var info = new ProcessStartInfo("ip") { UseShellExecute = false };
        info.ArgumentList.Add("netns");
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(netns);
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path");
        var args = Environment.GetCommandLineArgs();
        info.ArgumentList.Add(self);
        // Under the dotnet host the first argument is the assembly; under the apphost it is this program again.
        bool dotnetHost = Path.GetFileNameWithoutExtension(self) == "dotnet";
        foreach (var arg in dotnetHost ? args : args.Skip(1)) info.ArgumentList.Add(arg);
        info.Environment[Marker] = netns;
        using var child = Process.Start(info) ?? throw new InvalidOperationException("could not start ip netns exec");
        child.WaitForExit();
        return child.ExitCode;
    }
}
