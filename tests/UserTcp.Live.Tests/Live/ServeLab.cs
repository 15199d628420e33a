using System.Security.Cryptography;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// A lab turned round for <c>usertcp serve --root</c>: the stack serves a directory of random files on port 80 in the
/// client namespace, and the kernel's curl fetches them from the server namespace. One lab and one server for a test
/// class (<see cref="ServeLabTests"/>); <see cref="StartServe"/> also runs servers of a test's own.
/// </summary>
public sealed class ServeLab : IDisposable
{
    /// <summary>File names and sizes under the served root.</summary>
    public static readonly IReadOnlyDictionary<string, int> Sizes = new Dictionary<string, int>
    {
        ["empty.bin"] = 0, ["1K.bin"] = 1024, ["1M.bin"] = 1 << 20, ["100M.bin"] = 100 << 20,
    };

    private readonly TemporaryLab _lab;
    private readonly BackgroundProcess _server;

    public ServeLab()
    {
        Root = Directory.CreateTempSubdirectory("usertcp-serve-").FullName;
        foreach (var (name, size) in Sizes)
        {
            var bytes = new byte[size];
            RandomNumberGenerator.Fill(bytes);
            File.WriteAllBytes(Path.Combine(Root, name), bytes);
            Digests[name] = Convert.ToHexStringLower(SHA256.HashData(bytes));
        }
        _lab = new TemporaryLab("ks");
        Info = _lab.Up(files: "1K", offload: false);
        _server = StartServe(Info.Name, Root);
    }

    public string Root { get; }
    internal LabInfo Info { get; }
    public Dictionary<string, string> Digests { get; } = new();
    public string Url(string path) => $"http://{Info.ClientIp}/{path}";

    /// <summary><c>usertcp serve --root</c> on port 80 of the lab's stack address, ready once it says it is serving.</summary>
    internal static BackgroundProcess StartServe(string lab, string root, params string[] extra)
    {
        var served = BackgroundProcess.Start(BuiltProgram.Usertcp, ["serve", "--root", root, "--port", "80", "--lab", lab, "--stats", .. extra]);
        served.WaitForLine(line => line.StartsWith("serving", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        return served;
    }

    /// <summary>curl in the server namespace (the kernel as the client); its exit code, stdout and stderr.</summary>
    internal ProcessResult Curl(TimeSpan timeout, params string[] arguments) => Curl(Info, timeout, arguments);

    internal static ProcessResult Curl(LabInfo info, TimeSpan timeout, params string[] arguments) =>
        ProcessRunner.Run("ip", ["netns", "exec", info.ServerNetns, "curl", "-sS", .. arguments], timeout);

    public void Dispose()
    {
        _server.Dispose();
        _lab.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
