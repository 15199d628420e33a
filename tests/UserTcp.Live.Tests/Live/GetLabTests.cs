using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Live;

/// <summary>
/// <c>usertcp get</c> against the lab's real kernel peers (issue: download large pages): nginx over HTTP, HTTPS with the
/// lab's self-signed certificate and chunked bodies, dnsmasq for names, a python kernel-socket server that resets mid-body.
/// Every download is checked byte for byte against the served file's SHA-256, and the server namespace's counters show
/// that no connection was reset. Every failure must be a clear message, exit code 1, in bounded time, with nothing of
/// the stack left running in the client namespace. Needs root: fails, never skips, without it.
/// </summary>
public sealed partial class GetLabTests
{
    private static readonly TimeSpan FailureBound = TimeSpan.FromSeconds(15);

    private static ProcessResult Get(TimeSpan timeout, params string[] arguments) =>
        BuiltProgram.Run(BuiltProgram.Usertcp, ["get", .. arguments], timeout);

    /// <summary>Runs <c>get URL -o FILE --lab L [extra]</c>, asserts success and that FILE is exactly the lab's file; returns stderr.</summary>
    private static string Download(TemporaryLab lab, LabFile expected, string url, params string[] extra)
    {
        string file = Path.Combine(Path.GetTempPath(), $"usertcp-get-{Guid.NewGuid():N}");
        try
        {
            var result = Get(TimeSpan.FromMinutes(4), [url, "-o", file, "--lab", lab.Name, .. extra]);
            Assert.True(result.ExitCode == 0, $"get {url} exited {result.ExitCode}:\n{result.Error}");
            using (var stream = File.OpenRead(file))
                Assert.True(expected.Sha256 == Convert.ToHexStringLower(SHA256.HashData(stream)), $"{url}: the body differs from the served file\n{result.Error}");
            Assert.Contains($"{expected.Bytes} bytes", result.Error);
            return result.Error;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Runs a <c>get</c> that must fail: exit 1, within the bound, nothing left in the client namespace; returns stderr.</summary>
    private static string Failing(LabInfo info, string url, params string[] extra)
    {
        string file = Path.Combine(Path.GetTempPath(), $"usertcp-fail-{Guid.NewGuid():N}");
        var watch = Stopwatch.StartNew();
        var result = Get(FailureBound * 2, [url, "-o", file, "--lab", info.Name, .. extra]);
        Assert.True(result.ExitCode == 1, $"get {url} exited {result.ExitCode}, expected 1:\n{result.Error}");
        Assert.True(watch.Elapsed < FailureBound, $"get {url} took {watch.Elapsed} to fail");
        Assert.False(File.Exists(file), "a failed download left a partial file under the output name");
        Assert.Empty(ProcessRunner.RunChecked("ip", ["netns", "pids", info.ClientNetns], FailureBound).Output.Trim());
        return result.Error;
    }

    /// <summary>stream-peer.py in the server namespace, listening: one HTTP response declaring <paramref name="declared"/>
    /// bytes of body, of which it sends <paramref name="sent"/>, then resets (http-reset) or falls silent (http-stall).</summary>
    private static BackgroundProcess StartHttpPeer(LabInfo info, int port, string mode, int declared, int sent)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Live", "stream-peer.py");
        var server = BackgroundProcess.Start("ip", ["netns", "exec", info.ServerNetns, "python3", script, info.ServerIp, $"{port}", mode, $"{declared}", $"{sent}"]);
        try
        {
            server.WaitForLine(line => line == "listening", FailureBound);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private static (long Resets, long EstablishedResets) Resets(string lab)
    {
        var counters = Lab.ServerCounters(lab);
        return (counters["TcpOutRsts"], counters["TcpEstabResets"]);
    }

    [Theory] // a large page through HttpClient over the stack's TcpStream: byte-exact, no reset, offloads on and off
    [InlineData(true)]
    [InlineData(false)]
    public void Large_page_is_byte_exact_without_resets(bool offload)
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(files: "256M", offload: offload);
        var before = Resets(lab.Name);
        string summary = Download(lab, info.Files["256M"], info.Files["256M"].Url);
        Assert.Matches(@"ACKs sent \d+, retransmissions \d+, frames dropped \d+", summary);
        Assert.Equal(before, Resets(lab.Name));
    }

    [Theory] // the same under random loss (nftables in the server namespace): server-to-client 1 %, client-to-server 2 %
    [InlineData(1.0, 0.0)]
    [InlineData(0.0, 2.0)]
    public void Large_page_under_loss_is_byte_exact_without_resets(double lossDown, double lossUp)
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(files: "256M", loss: (decimal)lossDown, lossUp: (decimal)lossUp, offload: false);
        var before = Resets(lab.Name);
        Download(lab, info.Files["256M"], info.Files["256M"].Url);
        Assert.Equal(before, Resets(lab.Name));
        // The loss really happened: the drop rule's counter moved.
        var ruleset = Tool.RunIn(info.ServerNetns, ["nft", "list", "ruleset"]);
        long dropped = NftDrops().Matches(ruleset).Sum(m => long.Parse(m.Groups[1].Value));
        Assert.True(dropped > 0, "the nftables loss rule dropped nothing:\n" + ruleset);
    }

    [Fact] // the server sends far faster than the reader drains: the window closes and reopens, nothing is lost or reset
    public void Slow_reader_is_protected_by_flow_control()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(files: "48M");
        var before = Resets(lab.Name);
        var watch = Stopwatch.StartNew();
        string output = Download(lab, info.Files["48M"], info.Files["48M"].Url, "--limit-rate", "16M", "--stats");
        Assert.True(watch.Elapsed > TimeSpan.FromSeconds(2.5), $"48 MiB at 16 MiB/s took only {watch.Elapsed}: the reader was not slow");
        long zeroWindows = long.Parse(ZeroWindows().Match(output).Groups[1].Value);
        Assert.True(zeroWindows > 0, "the receive window never closed, so flow control was not exercised:\n" + output);
        Assert.Equal(before, Resets(lab.Name));
    }

    [Fact] // nginx sends the file with Transfer-Encoding: chunked (HttpClient decodes it)
    public void Chunked_body_is_byte_exact()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(files: "16M");
        string summary = Download(lab, info.Files["16M"], info.Files["16M"].ChunkedUrl);
        Assert.Contains("(chunked)", summary);
    }

    [Fact] // TLS through SslStream over the stack, trusting the lab's self-signed certificate, by address and by name (SNI)
    public void Https_with_the_lab_certificate_is_byte_exact()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(files: "16M");
        Download(lab, info.Files["16M"], info.Files["16M"].HttpsUrl);
        Download(lab, info.Files["16M"], $"https://{Lab.AliasName}/16M");
    }

    [Fact] // a certificate nobody vouches for is refused, with a message that says what to do
    public void Https_with_an_untrusted_certificate_fails_clearly()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(files: "1M");
        string other = Path.Combine(Path.GetTempPath(), $"usertcp-other-ca-{Guid.NewGuid():N}.pem");
        try
        {
            using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            using (var certificate = new CertificateRequest("CN=someone else", key, HashAlgorithmName.SHA256)
                       .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)))
                File.WriteAllText(other, certificate.ExportCertificatePem());
            string error = Failing(info, info.Files["1M"].HttpsUrl, "--cacert", other);
            Assert.Contains("TLS handshake failed", error);
            Assert.Contains("--cacert", error);
        }
        finally
        {
            File.Delete(other);
        }
    }

    [Fact] // names through the stack's resolver and the lab's dnsmasq: an A record, and a chain of two CNAMEs
    public void Names_are_resolved_through_the_lab_dns()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up(files: "4M");
        Download(lab, info.Files["4M"], $"http://{Lab.ServerName}/4M");
        Download(lab, info.Files["4M"], $"http://{Lab.ChainedAliasName}/4M", "--dns", info.DnsServer);
    }

    [Fact]
    public void Name_that_does_not_exist_fails_clearly()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        string error = Failing(info, $"http://nope.{Lab.Domain}/64K");
        Assert.Contains($"nope.{Lab.Domain}", error);
        Assert.Contains("does not exist", error);
    }

    [Fact] // nobody holds the address: no ARP answer
    public void Unreachable_host_fails_clearly()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        Assert.Contains("host unreachable", Failing(info, "http://198.18.0.99/64K"));
    }

    [Fact] // the server's kernel answers the SYN with a RST
    public void Refused_port_fails_clearly()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        Assert.Contains("connection refused", Failing(info, $"http://{info.ServerIp}:81/64K"));
    }

    [Fact] // a kernel server aborts (RST) after 1 MiB of a 64 MiB body
    public void Server_reset_mid_body_fails_clearly()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        const int port = 8081, sent = 1 << 20, declared = 64 << 20;
        using var server = StartHttpPeer(info, port, "http-reset", declared, sent);
        string error = Failing(info, $"http://{info.ServerIp}:{port}/big");
        Assert.Contains("connection reset by peer", error);
        Assert.Contains($"of {declared} bytes", error);
        server.WaitForLine(line => line == "reset sent", FailureBound);
    }

    [Fact] // the server falls silent after 1 MiB of a 64 MiB body: the read blocked for the rest ends at --timeout
    public void Server_silent_mid_body_fails_after_the_idle_timeout()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        const int port = 8083, sent = 1 << 20, declared = 64 << 20;
        using var server = StartHttpPeer(info, port, "http-stall", declared, sent);
        var watch = Stopwatch.StartNew();
        string error = Failing(info, $"http://{info.ServerIp}:{port}/big", "--timeout", "2");
        Assert.Contains("no progress for 2 s", error);
        Assert.Contains($"of {declared} bytes", error);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"failed after {watch.Elapsed}, before the timeout");
    }

    [Fact] // ISNs, SYN-cookie keys and DNS ids come from getrandom(2): OpenSSL (2.7 MiB resident) is for https only
    public void A_plain_http_download_loads_no_TLS_library()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        const int port = 8084, sent = 1 << 20, declared = 64 << 20;
        using var server = StartHttpPeer(info, port, "http-stall", declared, sent);
        using var get = BackgroundProcess.Start(BuiltProgram.Usertcp,
            ["get", $"http://{info.ServerIp}:{port}/big", "-o", "/dev/null", "--lab", info.Name, "--timeout", "10"]);
        // The peer stalls once it accepted the stack's connection and sent its megabyte: the stack made its keys, its ISN and
        // its first ACKs by then, and would have loaded OpenSSL for any of them.
        server.WaitForLine(line => line == "stalling", FailureBound);
        Assert.False(get.HasExited, $"get ended before the stall:\n{get.Text}");
        string[] libraries = File.ReadAllLines($"/proc/{get.Id}/maps").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6).Select(fields => Path.GetFileName(fields[5])).Distinct().ToArray();
        Assert.Contains(libraries, name => name.StartsWith("libpcap", StringComparison.Ordinal)); // the maps are the stack's
        Assert.DoesNotContain(libraries, name => name.StartsWith("libssl", StringComparison.Ordinal) || name.StartsWith("libcrypto", StringComparison.Ordinal));
    }

    [Fact] // -o /dev/null as root: the clean-up of a partial body must not delete the device (a private null device here)
    public void A_failed_download_into_a_device_leaves_the_device()
    {
        using var lab = new TemporaryLab();
        var info = lab.Up();
        const int port = 8082, sent = 1 << 20, declared = 64 << 20;
        string directory = Directory.CreateTempSubdirectory("usertcp-device-").FullName;
        try
        {
            string device = Path.Combine(directory, "null");
            ProcessRunner.RunChecked("mknod", [device, "c", "1", "3"], FailureBound);
            using var server = StartHttpPeer(info, port, "http-reset", declared, sent);
            var result = Get(FailureBound * 2, [$"http://{info.ServerIp}:{port}/big", "-o", device, "--lab", info.Name]);
            Assert.True(result.ExitCode == 1, $"get exited {result.ExitCode}, expected 1:\n{result.Error}");
            Assert.Contains("connection reset by peer", result.Error);
            Assert.True(File.Exists(device), "the failed download deleted the device it wrote to");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [GeneratedRegex(@"counter packets (\d+) bytes \d+ drop")]
    private static partial Regex NftDrops();

    [GeneratedRegex(@"tcp zero windows advertised\s+(\d+)")]
    private static partial Regex ZeroWindows();
}
