using UserTcp.Cli.Commands;
using UserTcp.Fast.Tests.Support;

namespace UserTcp.Fast.Tests.Cli;

/// <summary><c>usertcp get</c> with bad arguments: a clear message naming the problem and a non-zero exit, before any network is touched.</summary>
public sealed class GetArgumentTests
{
    private static ProcessResult Get(params string[] arguments) =>
        ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "usertcp.dll"), "get", .. arguments], TimeSpan.FromSeconds(30));

    [Theory]
    [InlineData("is not an http:// or https:// URL", "ftp://198.18.0.1/x", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("is not an http:// or https:// URL", "no-scheme", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("--dns 198.18.0: not an IPv4 address", "http://198.18.0.1/", "--dns", "198.18.0", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("--limit-rate fast: expected bytes per second", "http://198.18.0.1/", "--limit-rate", "fast", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("--timeout must be a positive number", "http://198.18.0.1/", "--timeout", "0", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("use either --cacert or --insecure", "https://198.18.0.1/", "--cacert", "/etc/hostname", "-k", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("say where to run", "http://198.18.0.1/")]
    public void Bad_arguments_fail_clearly(string message, params string[] arguments)
    {
        var result = Get(arguments);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Error);
    }

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("500K", 500L << 10)]
    [InlineData("20M", 20L << 20)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("2k", 2L << 10)]
    public void Rates_read_like_curl(string text, long bytesPerSecond) => Assert.Equal(bytesPerSecond, GetCommand.ParseRate(text));

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5M")]
    [InlineData("M")]
    [InlineData("12X")]
    public void Rates_that_are_not_rates_are_refused(string text) => Assert.Null(GetCommand.ParseRate(text));
}
