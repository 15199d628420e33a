using UserTcp.Live.Tests.Support;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Labs;

/// <summary>
/// Issue 13's original experiment, end to end in the routed lab: from the client namespace, with nothing but the LAN
/// interface (no --lab, so nothing of the lab is handed to the stack), <c>usertcp get</c> by the server's name crosses the
/// router's NAT and the 1400-byte-MTU link and downloads 1 GiB byte-exact with no reset from either kernel: with a DHCP
/// lease from the router (a second address on the LAN, as the laptop's spare address), sharing the kernel's own address
/// (<c>--ip host</c>), and through HTTPS. Needs root: fails, never skips, without it.
/// </summary>
public sealed class OriginalExperimentTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private const string File = "1G";

    public enum Address
    {
        Dhcp,
        Host,
    }

    [Theory]
    [InlineData(Address.Dhcp, "http")]
    [InlineData(Address.Host, "http")]
    [InlineData(Address.Dhcp, "https")]
    public void Get_with_only_the_interface_downloads_a_gibibyte_by_name_through_the_router_without_resets(Address address, string scheme)
    {
        using var lab = new TemporaryLab("hx");
        var info = lab.Up(files: File, topology: LabTopology.Routed);
        string output = Path.Combine(Path.GetTempPath(), $"usertcp-experiment-{Guid.NewGuid():N}");
        try
        {
            var server = Lab.ServerCounters(lab.Name);
            var client = Lab.ClientCounters(lab.Name);
            List<string> command = [BuiltProgram.Usertcp, "get", $"{scheme}://{Lab.ServerName}/{File}", "-o", output, "--iface", info.ClientIface, "--stats"];
            // A host's resolver is its resolv.conf, which names the router's DNS; the namespace has none of its own, so say it.
            if (address == Address.Host) command.AddRange(["--ip", "host", "--dns", info.DnsServer]);
            if (scheme == "https") command.AddRange(["--cacert", info.CaCert]);

            var get = ProcessRunner.Run("ip", ["netns", "exec", info.ClientNetns, .. command], Timeout);

            Assert.True(get.ExitCode == 0, $"get exited {get.ExitCode}:\n{get.Error}");
            if (address == Address.Dhcp)
                Assert.Matches($@"usertcp: DHCP lease 198\.18\.1\.1\d\d/24 from {Regex(info.Gateway!)} for \d+ s, router {Regex(info.Gateway!)}", get.Error);
            else
                Assert.Contains($"sharing {info.ClientKernelIp}/24 of {info.ClientIface} with the kernel", get.Error);
            Assert.Equal(info.Files[File].Sha256, FileDigest.Sha256(output));
            var serverAfter = Lab.ServerCounters(lab.Name);
            var clientAfter = Lab.ClientCounters(lab.Name);
            Assert.Equal((server["TcpOutRsts"], server["TcpEstabResets"]), (serverAfter["TcpOutRsts"], serverAfter["TcpEstabResets"]));
            // In host mode the kernel shares the address: its nftables table must have kept every segment of the
            // stack's flow from the kernel, which would answer each with a RST.
            Assert.Equal(client["TcpOutRsts"], clientAfter["TcpOutRsts"]);
        }
        finally
        {
            System.IO.File.Delete(output);
        }
    }

    private static string Regex(string literal) => System.Text.RegularExpressions.Regex.Escape(literal);
}
