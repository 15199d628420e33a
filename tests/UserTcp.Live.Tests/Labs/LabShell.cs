using System.Text.Json;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Labs;

/// <summary>The published CLI (the binary ./usertcp runs) and the system tools the tests check the lab with.</summary>
internal static class LabShell
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static string CliPath => BuiltProgram.Usertcp;

    /// <summary>Runs <c>usertcp lab ARGUMENTS</c>.</summary>
    public static ProcessResult Cli(params string[] arguments) => BuiltProgram.Run(CliPath, ["lab", .. arguments], Timeout);

    public static ProcessResult CliChecked(params string[] arguments) => BuiltProgram.RunChecked(CliPath, ["lab", .. arguments], Timeout);

    public static LabInfo ParseInfo(string json) =>
        JsonSerializer.Deserialize(json, LabJsonContext.Default.LabInfo) ?? throw new InvalidOperationException("null lab JSON");

    /// <summary>The IPv4 addresses (with prefix) on <paramref name="device"/>, from <c>ip -4 -o addr</c>.</summary>
    public static List<string> Ipv4Addresses(string netns, string device) =>
        ProcessRunner.RunChecked("ip", ["-n", netns, "-4", "-o", "addr", "show", "dev", device], Timeout).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(f => f[Array.IndexOf(f, "inet") + 1]).ToList();

    /// <summary>Asserts that nothing of lab <paramref name="name"/> is left: namespaces, state directory.</summary>
    public static void AssertNothingLeft(string name)
    {
        var names = LabNames.For(name);
        Assert.False(NetworkNamespace.Exists(names.ServerNamespace), $"{names.ServerNamespace} left behind");
        Assert.False(NetworkNamespace.Exists(names.ClientNamespace), $"{names.ClientNamespace} left behind");
        Assert.False(NetworkNamespace.Exists(names.RouterNamespace), $"{names.RouterNamespace} left behind");
        Assert.False(Directory.Exists(names.StateDirectory), $"{names.StateDirectory} left behind");
    }
}
