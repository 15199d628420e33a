using System.Security.Cryptography;
using System.Text.Json;
using UserTcp.Testbed.Labs;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Labs;

/// <summary>
/// <c>usertcp lab up --stack-link tap</c>: a persistent TAP bridged with the client veth end, up and down again and again,
/// switched in place, and a stack with <c>--lab</c> on it downloading byte for byte. Needs root: fails, never skips, without it.
/// </summary>
public sealed class TapLabTests
{
    [Fact]
    public void A_tap_lab_comes_up_and_goes_down_idempotently()
    {
        using var lab = new TemporaryLab("t4");
        string json = LabShell.CliChecked("up", "--name", lab.Name, "--stack-link", "tap", "--files", "64K", "--json").Output;
        var info = LabShell.ParseInfo(json);
        var names = lab.Names;
        Assert.Equal(("tap", names.TapInterface, names.BridgeInterface, names.BridgeInterface, names.ClientInterface),
                     (info.StackLink, info.TapIface, info.BridgeIface, info.KernelIface, info.ClientIface));
        AssertTapBridged(info);

        // Again: nothing changes; the JSON is the same and so is the status.
        Assert.Contains("nothing changed", LabShell.CliChecked("up", "--name", lab.Name, "--stack-link", "tap", "--files", "64K").Output);
        Assert.Equal(json, LabShell.CliChecked("status", "--name", lab.Name, "--json").Output);

        // To veth and back, in place: the TAP and the bridge go and come again, the veth end stays up.
        var veth = Lab.Up(new LabOptions { Name = lab.Name, Files = "64K" });
        Assert.Equal((LabUpOutcome.Reconfigured, "veth", null, null, names.ClientInterface),
                     (veth.Outcome, veth.Lab.StackLink, veth.Lab.TapIface, veth.Lab.BridgeIface, veth.Lab.KernelIface));
        Assert.Equal(["stack-link tap -> veth"], veth.Changes);
        Assert.Equal(["lo", names.ClientInterface], Links(info.ClientNetns).Select(l => l.Name));
        var tap = Lab.Up(new LabOptions { Name = lab.Name, Files = "64K", StackLink = LabStackLink.Tap });
        Assert.Equal(["stack-link veth -> tap"], tap.Changes);
        AssertTapBridged(tap.Lab);

        // A TAP deleted by hand makes the lab broken, and up makes it again.
        Tool.Run(["ip", "-n", info.ClientNetns, "link", "del", names.TapInterface]);
        Assert.Contains($"TAP {names.TapInterface} is gone", LabShell.Cli("status", "--name", lab.Name).Error);
        Assert.Equal(LabUpOutcome.Rebuilt, Lab.Up(new LabOptions { Name = lab.Name, Files = "64K", StackLink = LabStackLink.Tap }).Outcome);
        AssertTapBridged(Lab.Status(lab.Name));

        Assert.Contains("removed", LabShell.CliChecked("down", "--name", lab.Name).Output);
        Assert.Contains("nothing to remove", LabShell.CliChecked("down", "--name", lab.Name).Output);
        LabShell.AssertNothingLeft(lab.Name);
        // The persistent TAP went with the namespace: it was not handed back to the root namespace.
        Assert.DoesNotContain(Links(null), l => l.Name == names.TapInterface);
    }

    /// <summary>
    /// With the TAP's offloads (the default, IFF_VNET_HDR) the server's TCP segments reach the stack whole: fewer reads
    /// than MTU frames would need, their checksums left partial; without (<c>--gso off</c>) the kernel cuts every one into
    /// frames. Either way the body is byte-exact, came through the TAP, and the TAP has no offloads left afterwards (a
    /// reader without a virtio-net header, such as the lwIP peer, must not get 64 KiB frames).
    /// </summary>
    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public void Get_with_lab_on_a_tap_lab_downloads_byte_exact_over_the_tap(string offloads)
    {
        using var lab = new TemporaryLab("t4");
        var info = lab.Up(files: "16M", stackLink: LabStackLink.Tap);
        var expected = info.Files["16M"];
        string file = Path.Combine(Path.GetTempPath(), $"usertcp-tap-{Guid.NewGuid():N}");
        try
        {
            var (framesBefore, bytesBefore) = TapTransmitted(info);
            var result = BuiltProgram.Run(BuiltProgram.Usertcp, ["get", expected.Url, "-o", file, "--lab", lab.Name, "--gso", offloads, "--stats"],
                                          TimeSpan.FromMinutes(2));
            Assert.True(result.ExitCode == 0, $"get exited {result.ExitCode}:\n{result.Error}");
            using (var stream = File.OpenRead(file))
                Assert.Equal(expected.Sha256, Convert.ToHexStringLower(SHA256.HashData(stream)));
            // The body came through the TAP (the kernel's transmit side of it is the stack's receive side), not pcap on the veth.
            var (frames, bytes) = TapTransmitted(info);
            Assert.True(bytes - bytesBefore >= expected.Bytes, $"{bytes - bytesBefore} bytes went out of the TAP for a body of {expected.Bytes}");
            long mtuFrames = expected.Bytes / 1514;
            if (offloads == "on")
            {
                Assert.True(frames - framesBefore < mtuFrames / 4, $"{frames - framesBefore} frames for {mtuFrames} MTU frames' worth: the segments were cut");
                Assert.Matches(@"partial checksums accepted\s+[1-9]", result.Error);
            }
            else
            {
                Assert.True(frames - framesBefore >= mtuFrames, $"{frames - framesBefore} frames, fewer than the body needs at the MTU");
            }
            string features = Tool.RunIn(info.ClientNetns, ["ethtool", "-k", info.TapIface!]);
            Assert.Contains("tcp-segmentation-offload: off", features);
            Assert.Contains("tx-checksumming: off", features);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void AssertTapBridged(LabInfo info)
    {
        var links = Links(info.ClientNetns);
        Assert.Equal(new[] { "lo", info.ClientIface, info.TapIface!, info.BridgeIface! }.Order(StringComparer.Ordinal), links.Select(l => l.Name).Order(StringComparer.Ordinal));
        Assert.All(links.Where(l => l.Name == info.ClientIface || l.Name == info.TapIface), l => Assert.Equal(info.BridgeIface, l.Master));
        Assert.Contains("tun", Tool.RunIn(info.ClientNetns, ["ethtool", "-i", info.TapIface!]));
        Assert.Contains("persist on", Tool.RunIn(info.ClientNetns, ["ip", "-d", "link", "show", "dev", info.TapIface!]));
        // No IPv4 address anywhere on the client side: the stack claims 198.18.0.2 and nothing of the kernel answers for it.
        foreach (var device in new[] { info.ClientIface, info.TapIface!, info.BridgeIface! })
            Assert.Empty(LabShell.Ipv4Addresses(info.ClientNetns, device));
        // Bridged frames skip the IP and ARP hooks (this kernel has br_netfilter; the lab fails here if it stops turning them off).
        Assert.Equal("0 0 0", Tool.RunIn(info.ClientNetns, ["sh", "-c", "cat /proc/sys/net/bridge/bridge-nf-call-iptables /proc/sys/net/bridge/bridge-nf-call-ip6tables /proc/sys/net/bridge/bridge-nf-call-arptables | tr '\\n' ' '"]).Trim());
    }

    /// <summary>Frames and bytes the kernel has sent out of the lab's TAP, that is, handed to the stack.</summary>
    private static (long Frames, long Bytes) TapTransmitted(LabInfo info)
    {
        using var document = JsonDocument.Parse(Tool.Run(["ip", "-n", info.ClientNetns, "-j", "-s", "link", "show", "dev", info.TapIface!]));
        var tx = document.RootElement[0].GetProperty("stats64").GetProperty("tx");
        return (tx.GetProperty("packets").GetInt64(), tx.GetProperty("bytes").GetInt64());
    }

    /// <summary>Interfaces (name and bridge master) of namespace <paramref name="netns"/>, or of the root namespace for null.</summary>
    private static List<(string Name, string? Master)> Links(string? netns)
    {
        string output = netns is null ? Tool.Run(["ip", "-j", "link", "show"]) : Tool.Run(["ip", "-n", netns, "-j", "link", "show"]);
        using var document = JsonDocument.Parse(output);
        return document.RootElement.EnumerateArray()
            .Select(link => (link.GetProperty("ifname").GetString()!, link.TryGetProperty("master", out var master) ? master.GetString() : null))
            .ToList();
    }
}
