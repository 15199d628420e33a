using UserTcp.Testbed.Namespaces;
using UserTcp.Testbed.Processes;

namespace UserTcp.Live.Tests.Cli;

/// <summary>
/// <c>--tap NAME</c> on a stack-running command, outside any lab: on a persistent TAP whose kernel side the user
/// configured, and the clear failures (an interface that is not a TAP). Needs root: fails, never skips, without it.
/// </summary>
public sealed class TapOptionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Ping_runs_on_a_persistent_tap_whose_kernel_side_the_user_configured()
    {
        using var space = NetworkNamespace.Create("t4");
        string tap = TapLink.TapNameIn(space);
        space.Exec("ip", "tuntap", "add", "dev", tap, "mode", "tap");
        space.Exec("ip", "addr", "add", "198.18.9.1/24", "dev", tap);
        space.Exec("ip", "link", "set", tap, "up");

        var result = space.TryExec(Timeout, BuiltProgram.Usertcp, "ping", "198.18.9.1", "-c", "2", "-i", "0.2",
                                   "--tap", tap, "--ip", "198.18.9.2/24");

        Assert.True(result.ExitCode == 0, $"ping --tap exited {result.ExitCode}:\n{result.Output}\n{result.Error}");
        Assert.Contains("2 packets transmitted, 2 received", result.Output);
        // The stack attached to the TAP the user made: nothing warns about a TAP it had to create.
        Assert.DoesNotContain("created TAP", result.Error);
        Assert.Contains("persist on", space.Exec("ip", "-d", "link", "show", "dev", tap));
    }

    [Fact]
    public void A_tap_the_stack_creates_is_announced_as_unconfigured_and_goes_with_it()
    {
        using var space = NetworkNamespace.Create("t4");
        string tap = TapLink.TapNameIn(space);

        var result = space.TryExec(Timeout, BuiltProgram.Usertcp, "ping", "198.18.9.1", "-c", "1", "-W", "0.2",
                                   "--tap", tap, "--ip", "198.18.9.2/24");

        Assert.Equal(1, result.ExitCode); // nobody answers: the kernel side has no address
        Assert.Contains($"created TAP {tap}; it is down and has no address", result.Error);
        Assert.DoesNotContain(tap, space.Exec("ip", "-br", "link"));
    }

    [Fact]
    public void An_interface_that_is_not_a_tap_is_refused_clearly()
    {
        using var space = NetworkNamespace.Create("t4");

        var result = space.TryExec(Timeout, BuiltProgram.Usertcp, "ping", "198.18.9.1", "-c", "1",
                                   "--tap", "lo", "--ip", "198.18.9.2/24");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usertcp ping: lo: the name belongs to an interface that is not a TAP", result.Error);
    }
}
