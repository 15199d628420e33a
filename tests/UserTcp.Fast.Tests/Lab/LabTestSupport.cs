using System.Text.Json;
using UserTcp.Cli.Labs;
using UserTcp.Fast.Tests.Support;

namespace UserTcp.Fast.Tests.Labs;

/// <summary>
/// A uniquely named lab for one test, removed on Dispose whatever the test did. Creating it checks for root first:
/// lab tests fail without root, never skip.
/// </summary>
internal sealed class TestLab : IDisposable
{
    public TestLab()
    {
        Repository.RequireRoot();
        // "t" and five random characters: parallel tests and parallel checkouts never pick the same names.
        Name = "t" + new string(Random.Shared.GetItems("abcdefghijklmnopqrstuvwxyz0123456789".AsSpan(), 5));
    }

    public string Name { get; }
    public LabNames Names => LabNames.For(Name);

    public LabInfo Up(string files = "64K", decimal loss = 0, decimal lossUp = 0, string? rate = null, bool offload = true) =>
        Lab.Up(new LabOptions { Name = Name, Files = files, LossPercent = loss, LossUpPercent = lossUp, Rate = rate, Offload = offload }).Lab;

    public void Dispose() => Lab.Down(Name);
}

/// <summary>The built CLI (usertcp.dll beside the tests) and the system tools the tests check the lab with.</summary>
internal static class LabShell
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static string CliPath => Path.Combine(AppContext.BaseDirectory, "usertcp.dll");

    /// <summary>Runs <c>usertcp lab ARGUMENTS</c>.</summary>
    public static ProcessResult Cli(params string[] arguments) => ProcessRunner.Run("dotnet", [CliPath, "lab", .. arguments], Timeout);

    public static ProcessResult CliChecked(params string[] arguments) => ProcessRunner.RunChecked("dotnet", [CliPath, "lab", .. arguments], Timeout);

    public static LabInfo ParseInfo(string json) =>
        JsonSerializer.Deserialize(json, LabJsonContext.Default.LabInfo) ?? throw new InvalidOperationException("null lab JSON");

    /// <summary>Runs <paramref name="command"/> inside <paramref name="netns"/> and returns stdout; fails the test on a non-zero exit.</summary>
    public static string In(string netns, params string[] command) =>
        ProcessRunner.RunChecked("ip", ["netns", "exec", netns, .. command], Timeout).Output;

    public static ProcessResult TryIn(string netns, params string[] command) =>
        ProcessRunner.Run("ip", ["netns", "exec", netns, .. command], Timeout);

    public static bool NamespaceExists(string netns) => File.Exists(Path.Combine("/run/netns", netns));

    /// <summary>The IPv4 addresses (with prefix) on <paramref name="device"/>, from <c>ip -4 -o addr</c>.</summary>
    public static List<string> Ipv4Addresses(string netns, string device) =>
        ProcessRunner.RunChecked("ip", ["-n", netns, "-4", "-o", "addr", "show", "dev", device], Timeout).Output
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(f => f[Array.IndexOf(f, "inet") + 1]).ToList();

    /// <summary>Asserts that nothing of lab <paramref name="name"/> is left: namespaces, state directory.</summary>
    public static void AssertNothingLeft(string name)
    {
        var names = LabNames.For(name);
        Assert.False(NamespaceExists(names.ServerNamespace), $"{names.ServerNamespace} left behind");
        Assert.False(NamespaceExists(names.ClientNamespace), $"{names.ClientNamespace} left behind");
        Assert.False(Directory.Exists(names.StateDirectory), $"{names.StateDirectory} left behind");
    }
}
