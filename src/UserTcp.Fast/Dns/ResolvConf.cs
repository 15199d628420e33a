using System.Globalization;
using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Dns;

/// <summary>
/// The parts of resolv.conf(5) a stub resolver for IPv4 A records needs: <c>nameserver</c> lines (IPv4 only; IPv6
/// servers are skipped) and <c>options timeout:N attempts:N</c>. Everything else (search, domain, sortlist, other
/// options) is ignored, as are comment lines starting with '#' or ';'.
/// </summary>
internal static class ResolvConf
{
    public const string DefaultPath = "/etc/resolv.conf";
    /// <summary>resolv.conf(5): "Up to MAXNS (currently 3) name servers may be listed"; later ones are ignored.</summary>
    public const int MaxServers = 3;
    /// <summary>resolv.conf(5) caps timeout at 30 seconds and attempts at 5.</summary>
    private const int MaxTimeoutSeconds = 30, MaxAttempts = 5;

    /// <summary>Settings from the text of a resolv.conf; what it does not say keeps the <see cref="DnsSettings"/> defaults.</summary>
    public static DnsSettings Parse(string text, string origin = DefaultPath)
    {
        var servers = new List<Ipv4Address>();
        var settings = new DnsSettings { Origin = origin };
        foreach (var rawLine in text.Split('\n'))
        {
            var words = rawLine.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || words[0].StartsWith('#') || words[0].StartsWith(';')) continue;
            switch (words[0])
            {
                case "nameserver":
                    if (servers.Count < MaxServers && Ipv4Address.TryParse(words[1], out var server) && !servers.Contains(server)) servers.Add(server);
                    break;
                case "options":
                    foreach (var option in words.Skip(1))
                    {
                        if (TryReadOption(option, "timeout:", MaxTimeoutSeconds, out int seconds)) settings = settings with { Timeout = TimeSpan.FromSeconds(seconds) };
                        else if (TryReadOption(option, "attempts:", MaxAttempts, out int attempts)) settings = settings with { Attempts = attempts };
                    }
                    break;
            }
        }
        return settings with { Servers = servers };
    }

    /// <summary>Reads <paramref name="path"/>; a missing or unreadable file gives no servers, and says so in <see cref="DnsSettings.Origin"/>.</summary>
    public static DnsSettings Load(string path = DefaultPath)
    {
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new DnsSettings { Origin = e is FileNotFoundException or DirectoryNotFoundException ? $"{path}, which does not exist" : $"{path}, unreadable: {e.Message}" };
        }
    }

    private static bool TryReadOption(string option, string prefix, int max, out int value)
    {
        value = 0;
        if (!option.StartsWith(prefix, StringComparison.Ordinal)
            || !int.TryParse(option.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out value)) return false;
        value = Math.Clamp(value, 1, max);
        return true;
    }
}
