using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Cli;

/// <summary><c>usertcp get</c> with bad arguments: a clear message naming the problem and a non-zero exit, before any network is touched.</summary>
public sealed class GetArgumentTests
{
    private static ProcessResult Get(params string[] arguments) =>
        BuiltProgram.Run(BuiltProgram.Usertcp, ["get", .. arguments], TimeSpan.FromSeconds(30));

    [Theory]
    [InlineData("is not an http:// or https:// URL", "ftp://198.18.0.1/x", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("is not an http:// or https:// URL", "no-scheme", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("--dns 198.18.0: not an IPv4 address", "http://198.18.0.1/", "--dns", "198.18.0", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("--limit-rate fast: expected bytes per second", "http://198.18.0.1/", "--limit-rate", "fast", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("--timeout must be a positive number", "http://198.18.0.1/", "--timeout", "0", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("use either --cacert or --insecure", "https://198.18.0.1/", "--cacert", "/etc/hostname", "-k", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("say where to run", "http://198.18.0.1/")]
    [InlineData("use either --tap or --iface", "http://198.18.0.1/", "--tap", "t4x", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("--gateway needs --ip", "http://198.18.0.1/", "--iface", "lo", "--gateway", "198.18.0.1")]
    [InlineData("say where to run", "http://198.18.0.1/", "--tap", "t4x")]
    [InlineData("use either --lab or --iface/--tap", "http://198.18.0.1/", "--tap", "t4x", "--lab", "t4x", "--ip", "198.18.0.2/24")]
    [InlineData("--tap needs --ip ADDRESS/PREFIX", "http://198.18.0.1/", "--tap", "t4x", "--ip", "198.18.0.2")]
    [InlineData("no on-link route of the kernel on lo holds it", "http://198.18.0.1/", "--iface", "lo", "--ip", "198.18.0.2")]
    [InlineData("--ip 198.18.0.2/33: expected ADDRESS/PREFIX", "http://198.18.0.1/", "--iface", "lo", "--ip", "198.18.0.2/33")]
    [InlineData("--capture-buffer 10: a size from 1M to 1G", "http://198.18.0.1/", "--capture-buffer", "10", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("--capture-buffer 512K: a size from 1M to 1G", "http://198.18.0.1/", "--capture-buffer", "512K", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("--capture-buffer 2G: a size from 1M to 1G", "http://198.18.0.1/", "--capture-buffer", "2G", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("a TAP device has none", "http://198.18.0.1/", "--capture-buffer", "32M", "--tap", "t4x", "--ip", "198.18.0.2/24")]
    [InlineData("a TAP device has its own", "http://198.18.0.1/", "--capture", "ring", "--tap", "t4x", "--ip", "198.18.0.2/24")]
    [InlineData("Argument 'bogus' not recognized", "http://198.18.0.1/", "--capture", "bogus", "--iface", "lo", "--ip", "198.18.0.2/24")]
    [InlineData("--ip host shares the kernel's address of an --iface interface (not with --tap or --lab)", "http://198.18.0.1/", "--tap", "t4x", "--ip", "host")]
    [InlineData("--ip host shares the kernel's address of an --iface interface (not with --tap or --lab)", "http://198.18.0.1/", "--lab", "t4x", "--ip", "host")]
    [InlineData("--ip hostile: expected ADDRESS/PREFIX", "http://198.18.0.1/", "--iface", "lo", "--ip", "hostile")]
    public void Bad_arguments_fail_clearly(string message, params string[] arguments)
    {
        var result = Get(arguments);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Error);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("500K")]
    [InlineData("20M")]
    [InlineData("1.5G")]
    [InlineData("2k")]
    public void Rates_read_like_curl_are_accepted(string text)
    {
        // The URL is refused so nothing runs; every refused option would be named beside it, and the rate is not.
        var result = Get("ftp://198.18.0.1/x", "--limit-rate", text, "--iface", "lo", "--ip", "198.18.0.2/24");
        Assert.Contains("is not an http:// or https:// URL", result.Error);
        Assert.DoesNotContain("--limit-rate", result.Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5M")]
    [InlineData("M")]
    [InlineData("12X")]
    public void Rates_that_are_not_rates_are_refused(string text)
    {
        var result = Get("http://198.18.0.1/", "--limit-rate", text, "--iface", "lo", "--ip", "198.18.0.2/24");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"--limit-rate {text}: expected bytes per second", result.Error);
    }
}
