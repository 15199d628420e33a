using System.Globalization;
using System.Security.Cryptography;
using UserTcp.Live.Tests.Support;
using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Cli;

/// <summary>
/// Two namespaces of their own for host-address mode ("hhc…" and "hhs…", joined by a veth): the client's veth holds a
/// kernel address, as a laptop's interface does, and the server's runs python3's http.server with one file of random
/// bytes. Its reserved-ports sysctl and nftables tables are the client namespace's own, so tests run side by side.
/// Everything goes with <see cref="Dispose"/>.
/// </summary>
internal sealed class HostModePair : IDisposable
{
    public const string ClientAddress = "198.18.77.1", ServerAddress = "198.18.77.2";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);
    private readonly NetworkNamespace _client, _server;
    private readonly string _directory;
    private readonly BackgroundProcess? _http;

    /// <param name="fileBytes">The size of the served file.</param>
    /// <param name="rate">A tbf rate for the server's sends (e.g. "40mbit"), so a download lasts; null for none.</param>
    public HostModePair(int fileBytes, string? rate = null)
    {
        _client = NetworkNamespace.Create("hhc");
        try
        {
            _server = NetworkNamespace.Create("hhs");
            ClientInterface = _client.Name + "v";
            string serverInterface = _server.Name + "v";
            ProcessRunner.RunChecked("ip", ["link", "add", ClientInterface, "netns", _client.Name, "type", "veth", "peer", "name", serverInterface, "netns", _server.Name], ToolTimeout);
            NetworkNamespace.LinkUp(_client.Name, ClientInterface, ClientAddress + "/24");
            NetworkNamespace.LinkUp(_server.Name, serverInterface, ServerAddress + "/24");
            if (rate is not null) _server.Exec("tc", "qdisc", "add", "dev", serverInterface, "root", "tbf", "rate", rate, "burst", "256kb", "latency", "2s");
            _directory = Directory.CreateTempSubdirectory("usertcp-hostmode-").FullName;
            var bytes = new byte[fileBytes];
            Random.Shared.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(_directory, "file.bin"), bytes);
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
            FileBytes = fileBytes;
            _http = _server.Start("python3", "-u", "-m", "http.server", "8000", "--bind", ServerAddress, "--directory", _directory);
            _http.WaitForLine(line => line.StartsWith("Serving HTTP", StringComparison.Ordinal), ToolTimeout);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string ClientInterface { get; }
    public string Url => $"http://{ServerAddress}:8000/file.bin";
    public string Sha256 { get; }
    public int FileBytes { get; }
    public NetworkNamespace Client => _client;

    /// <summary>The client namespace's net.ipv4.ip_local_reserved_ports.</summary>
    public string ReservedPorts => _client.Exec("cat", "/proc/sys/net/ipv4/ip_local_reserved_ports").Trim();

    /// <summary>The client namespace's nftables tables of host-mode runs.</summary>
    public string HostTables => string.Join('\n', _client.Exec("nft", "list", "tables").Split('\n').Where(line => line.Contains("usertcp_host_", StringComparison.Ordinal)));

    /// <summary>The client kernel's TcpOutRsts (<c>nstat -as</c>, history untouched).</summary>
    public long ClientResets()
    {
        foreach (string line in _client.Exec("nstat", "-asz").Split('\n'))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields[0] == "TcpOutRsts") return long.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("nstat printed no TcpOutRsts");
    }

    /// <summary>The arguments of <c>usertcp get</c> of the file into <paramref name="output"/> in host mode.</summary>
    public string[] GetArguments(string output) => [BuiltProgram.Usertcp, "get", Url, "-o", output, "--iface", ClientInterface, "--ip", "host"];

    public bool IsTheFile(string path) => File.Exists(path) && FileDigest.Sha256(path) == Sha256;

    public void Dispose()
    {
        _http?.Dispose();
        _server?.Dispose();
        _client.Dispose();
        if (_directory is not null) Directory.Delete(_directory, recursive: true);
    }
}
