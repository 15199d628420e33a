using UserTcp.Fast.Wire;

namespace UserTcp.Fast.Dns;

/// <summary>Which DNS servers a <see cref="StubResolver"/> asks, and how patiently.</summary>
internal sealed record DnsSettings
{
    /// <summary>Recursive servers, asked in this order (RFC 1035 §7.2).</summary>
    public IReadOnlyList<Ipv4Address> Servers { get; init; } = [];

    /// <summary>How long the first round waits for each server; every further round waits twice as long (RFC 1536 §1: exponential backoff).</summary>
    public TimeSpan Timeout
    {
        get;
        init => field = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(Timeout), value, "The DNS timeout must be positive.");
    } = TimeSpan.FromSeconds(1);

    /// <summary>Rounds over the servers, so each server gets at most this many queries per lookup (1 to 8).</summary>
    public int Attempts
    {
        get;
        init => field = value is >= 1 and <= 8 ? value : throw new ArgumentOutOfRangeException(nameof(Attempts), value, "Attempts are 1 to 8 (each round doubles the wait).");
    } = 3;

    /// <summary>Where the servers came from, for error messages ("/etc/resolv.conf", an option's name).</summary>
    public string Origin { get; init; } = "the DNS settings";
}
